#!/bin/sh
# Tandem: on purge (deb) or erase (rpm, "$1" = 0) remove the machine-wide folders, with every
# user's encrypted case store in /var/lib/tandem (unreadable without that user's keyring). The
# policy is IT's and stays unless purged. See DEPLOYMENT.md, "Uninstall and data removal".
set -e
case "$1" in
  purge|0)
    rm -rf /var/lib/tandem /var/log/tandem
    [ "$1" = purge ] && rm -rf /etc/tandem
    ;;
esac
exit 0
