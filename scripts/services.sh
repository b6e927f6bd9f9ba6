#!/usr/bin/env bash
# Starts the local services the tests use, and installs what a fresh machine lacks, when it is missing.
# Safe to run when everything is there already: `npm test` runs it first (pretest), and so does `.ci/run`.
#   PostgreSQL on 127.0.0.1:5432 with a database "test"   (store suites, scale-out suites)
#   NATS with JetStream on 127.0.0.1:4222                  (queue contract on JetStream, scale-out suites)
#   Debian's Chromium at /usr/bin/chromium                 (browser suites in e2e/)
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 4222; then
  echo "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 30); do port_open 4222 && break; sleep 1; done
  port_open 4222 || { echo "NATS did not start on 127.0.0.1:4222 (see /var/log/nats-server.log)" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser suites"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
echo "services ready: PostgreSQL, NATS JetStream, Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
