package state

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// DefaultDir returns the state directory used when none is given, for the
// user the check runs as (the effective uid):
//
//  1. $XDG_STATE_HOME/check_arp, when XDG_STATE_HOME is an absolute path;
//  2. HOME/.local/state/check_arp, for the first HOME that is a directory
//     owned by the user: $HOME, then the home directory in the user
//     database (/etc/passwd). Engines often run plugins with another
//     user's $HOME or none at all, hence the ownership test and the
//     fallback. This covers root (/root), nagios on Debian and the Icinga 2
//     of Debian, which runs as nagios (/var/lib/nagios), nagios on RHEL
//     (/var/spool/nagios) and icinga on RHEL (/var/spool/icinga2);
//  3. /var/tmp/check_arp-UID otherwise: users without a home of their own,
//     such as sensu (created with useradd --system, so its home
//     /home/sensu or /opt/sensu often does not exist) or nobody. /var/tmp
//     is shared, so Open refuses this directory unless the user owns it
//     and nobody else may write to it: another user who creates it first
//     only disables memory (with a message saying so), never redirects
//     it.
//
// Open creates the directory (mode 0700) when it is missing.
func DefaultDir() string {
	return defaultDir(os.Getenv, os.Geteuid(), passwdHome)
}

func defaultDir(getenv func(string) string, uid int, passwdHome func(int) string) string {
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "check_arp")
	}
	for _, home := range []string{getenv("HOME"), passwdHome(uid)} {
		if filepath.IsAbs(home) && ownedDir(home, uid) {
			return filepath.Join(home, ".local", "state", "check_arp")
		}
	}
	// Not $TMPDIR: /tmp is often a tmpfs, emptied at boot, and memory
	// should survive a reboot of the monitoring host.
	return "/var/tmp/check_arp-" + strconv.Itoa(uid)
}

// ownedDir reports whether path is a directory owned by uid. A home that
// is a symbolic link (/home -> /srv/home) is followed: the user's own home
// is trusted, and Open checks the state directory itself.
func ownedDir(path string, uid int) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

func passwdHome(uid int) string {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return ""
	}
	return u.HomeDir
}

// userName names uid for messages: "nagios", or "uid 1234".
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}
