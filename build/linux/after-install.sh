#!/bin/sh
# Tandem: machine-wide folders (deb postinst / rpm %post). The policy folder is IT's; the
# data folder holds nothing per user; each user writes its own log file under the sticky log folder.
set -e
install -d -m 0755 /etc/tandem
install -d -m 0755 /var/lib/tandem
install -d -m 1777 /var/log/tandem
if [ ! -e /etc/tandem/policy.json ]; then
  echo "Tandem: no /etc/tandem/policy.json yet; the console shows 'not configured' until IT sets one (see DEPLOYMENT.md)."
fi
exit 0
