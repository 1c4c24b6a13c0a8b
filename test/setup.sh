#!/usr/bin/env bash
# Installs what a fresh Debian 12 lacks for the test suite, quietly, and only
# what is missing. Where it cannot (not root, no apt), it prints the exact
# command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have mariadbd || have /usr/sbin/mariadbd || need+=(mariadb-server)
have /usr/sbin/sshd || need+=(openssh-server)
have /usr/sbin/postfix || need+=(postfix)
have php || need+=(php-cli)
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm)
have /usr/sbin/nginx || need+=(nginx)
have /usr/bin/chromium || need+=(chromium)
have /usr/sbin/pflogsumm || need+=(pflogsumm)
# Cyrus SASL with sasldb: the fixture capture submits real SMTP AUTH mail.
have /usr/sbin/saslpasswd2 || need+=(sasl2-bin libsasl2-modules)
# The panel walk runs the sidecar on the fixture world's clock (libfaketime);
# Japanese screenshots need a Japanese font.
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(faketime)
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)

if [ ${#need[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${need[*]}"
  if [ "$(id -u)" != 0 ] || ! have apt-get; then
    echo "sendtrace tests need: ${need[*]}. Run as root:" >&2
    echo "  $cmd" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} (apt-get, quiet)" >&2
  # Postfix asks questions on install; answer them for a local-only box.
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/tmp/sendtrace-setup-apt.log 2>&1; then
    tail -20 /tmp/sendtrace-setup-apt.log >&2
    echo "setup: apt-get failed; run: $cmd" >&2
    exit 1
  fi
fi

# Packaged services may have been started by their install scripts; tests run
# their own private instances, so the system ones are left alone.
if [ ! -d node_modules/esbuild ] || [ ! -d node_modules/zod ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
