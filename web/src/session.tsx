// Who is signed in: the token (kept in this browser's localStorage until sign-out) and what it may do.
import { createContext, useContext } from 'react'
import type { Api, Me, Permission } from './api'

export interface Session {
  api: Api
  me: Me
  can(...permissions: Permission[]): boolean
  signOut(): void
}

export const SessionContext = createContext<Session | undefined>(undefined)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (s === undefined) throw new Error('useSession outside a signed-in screen')
  return s
}

const KEY = 'insertfn.token'
export const storedToken = (): string | null => localStorage.getItem(KEY)
export const storeToken = (token: string): void => localStorage.setItem(KEY, token)
export const forgetToken = (): void => localStorage.removeItem(KEY)
