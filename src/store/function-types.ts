// The shapes of a function's kind and settings, with no imports: the web client imports them type-only,
// and it cannot type-check the store modules, which use Node's crypto.
export type ResourceType = 'INSERT_DESTINATION' | 'DESTINATION'
export type SettingType = 'STRING' | 'BOOLEAN' | 'ARRAY' | 'TEXT_MAP'

export interface FunctionSetting {
  name: string
  label: string
  description: string
  type: SettingType
  required: boolean
  sensitive: boolean
}
