#!/usr/bin/env bash
# Make sure OpenLDAP's slapd and ldap-utils are installed, for the LDAP tests
# (internal/testutil/slapd runs its own slapd on loopback ports from a temporary folder).
# Idempotent: does nothing when slapd is already there. Safe to run or to source, also
# under `set -euo pipefail`. Debian/Ubuntu only (apt-get).

slapd_present() {
  command -v slapd >/dev/null 2>&1 || [[ -x /usr/sbin/slapd ]]
}

slapd_apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slapd ldap-utils >/dev/null
}

# The package starts the system's own slapd on port 389; the tests need none of it.
slapd_stop_system_service() {
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl stop slapd >/dev/null 2>&1 || true
    systemctl disable slapd >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    service slapd stop >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d slapd disable >/dev/null 2>&1 || true
  fi
}

slapd_install() {
  if slapd_present; then
    return 0
  fi
  echo "ci: installing slapd and ldap-utils" >&2
  if ! slapd_apt_install; then
    apt-get update -qq && slapd_apt_install ||
      { echo "ci: could not install slapd" >&2; return 1; }
  fi
  slapd_stop_system_service
  slapd_present || { echo "ci: slapd still missing after install" >&2; return 1; }
}

slapd_install
