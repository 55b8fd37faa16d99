#!/bin/sh
# Tandem: on purge (deb) or erase (rpm, "$1" = 0) remove the machine-wide folders. The policy
# is IT's and stays unless purged. Each user's encrypted store stays in ~/.config/Tandem until
# removed (see DEPLOYMENT.md, "Uninstall and data removal"): it is unreadable without that
# user's keyring.
set -e
case "$1" in
  purge|0)
    rm -rf /var/lib/tandem /var/log/tandem
    [ "$1" = purge ] && rm -rf /etc/tandem
    ;;
esac
exit 0
