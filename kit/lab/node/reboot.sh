#!/bin/sh
# A lab host's reboot: sshd is the host's main process, so stopping it stops the container and
# Docker's restart policy boots it again (lab-boot runs anew: /run cleared, cmdline.txt re-read),
# with its disk as it was, as a Pi comes back from a reboot.
sync
kill -TERM "$(cat /run/sshd.pid)"
