#!/bin/sh
# Tandem: machine-wide folders (deb postinst / rpm %post). The policy folder is IT's. The data
# folder holds the case stores, one folder per OS user that the console makes itself (0700,
# owned by that user; one made by anybody else is refused), so it is sticky and open to all
# like /tmp: nothing of a user's store is in a roaming home. Each user writes its own log file
# under the sticky log folder.
set -e
install -d -m 0755 /etc/tandem
install -d -m 1777 /var/lib/tandem
chmod 1777 /var/lib/tandem
install -d -m 1777 /var/log/tandem
if [ ! -e /etc/tandem/policy.json ]; then
  echo "Tandem: no /etc/tandem/policy.json yet; the console shows 'not configured' until IT sets one (see DEPLOYMENT.md)."
fi
exit 0
