"""The demo's KB articles (title, url, summary): loaded by `seed`, and the catalogue `make eval`
measures the suggestions with (no database needed there)."""

KB = [
    (
        "Restore bookmarks from backup or move them to another computer",
        "https://support.mozilla.org/kb/restore-bookmarks-from-backup-or-move-them",
        "Firefox saves backups of your bookmarks automatically. Restore lost or missing bookmarks after an update.",
    ),
    (
        "Firefox crashes - troubleshoot, prevent and get help fixing crashes",
        "https://support.mozilla.org/kb/firefox-crashes-troubleshoot-prevent-and-get-help",
        "What to do when Firefox keeps crashing, closes unexpectedly or will not start; crash reports and crash IDs.",
    ),
    (
        "Troubleshoot problems with Firefox Sync",
        "https://support.mozilla.org/kb/sync-troubleshooting",
        "Sync is not working: bookmarks, passwords or history do not sync between phone and computer.",
    ),
    (
        "Password manager - remember, delete, change and import saved passwords",
        "https://support.mozilla.org/kb/password-manager-remember-delete-edit-logins",
        "Save, import, export and recover saved passwords and logins in Firefox.",
    ),
    (
        "Fix video playback problems",
        "https://support.mozilla.org/kb/fix-video-audio-problems-firefox",
        "Videos stutter, do not play or have no sound on YouTube and other sites.",
    ),
    (
        "Firefox is slow - How to make it faster",
        "https://support.mozilla.org/kb/firefox-slow-how-make-it-faster",
        "Clear the cache, remove add-ons you do not need and update Firefox and Android when pages load slowly.",
    ),
    (
        "Disable or remove add-ons",
        "https://support.mozilla.org/kb/disable-or-remove-add-ons",
        "Turn off or uninstall extensions and themes you do not need, or that cause problems.",
    ),
    (
        "Mozilla VPN connection problems",
        "https://support.mozilla.org/kb/mozilla-vpn-troubleshooting",
        "Mozilla VPN does not connect, disconnects or is slow; subscription and devices.",
    ),
]
