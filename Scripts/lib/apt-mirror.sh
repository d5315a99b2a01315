#!/usr/bin/env bash
# Sourced by scripts that fetch from Debian's archive outside the system's own APT state (Scripts/fetch-gpiod-v2.sh).
# The repository names no archive host: the mirror is the one this machine's APT already uses, so a machine behind
# a proxy or a local mirror keeps working and nothing here goes stale.
#
#   apt_mirror    prints the archive URI of the first Debian entry (not a -security or -updates suite) found in
#                 $NEURONHIL_APT_ETC/sources.list, then sources.list.d/*.list (one-line "deb [opts] URI suite ..."),
#                 then sources.list.d/*.sources (deb822: "Types: deb", "URIs: ...", "Suites: ..."; "Enabled: no"
#                 stanzas skipped). NEURONHIL_APT_ETC defaults to /etc/apt (tests point it elsewhere);
#                 $NEURONHIL_DEBIAN_MIRROR, when set, wins. Without any, it prints an error naming the files it read
#                 and the fix, and returns 1.

# One-line entries: "URI<TAB>suite" per "deb" line, options in brackets dropped.
_apt_mirror_list_entries() {
    local f
    for f in "$@"; do
        [ -r "$f" ] || continue
        awk '
            { sub(/#.*/, "") }
            $1 != "deb" { next }
            {
                line = $0
                sub(/^[ \t]*deb[ \t]+/, "", line)
                if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
                n = split(line, f, /[ \t]+/)
                if (n >= 2) print f[1] "\t" f[2]
            }' "$f"
    done
}

# deb822 stanzas (blank-line separated): "URI<TAB>suite" for each URI and suite of an enabled "deb" stanza.
_apt_mirror_deb822_entries() {
    local f
    for f in "$@"; do
        [ -r "$f" ] || continue
        awk '
            function flush(   nu, ns, u, s, i, j) {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
                    nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
                    for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) if (u[i] != "" && s[j] != "") print u[i] "\t" s[j]
                }
                types = uris = suites = enabled = ""; key = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { if (key == "uris") uris = uris " " $0; else if (key == "suites") suites = suites " " $0; next }
            {
                key = tolower($0); sub(/:.*/, "", key)
                value = $0; sub(/^[^:]*:[ \t]*/, "", value)
                if (key == "types") types = value
                else if (key == "uris") uris = value
                else if (key == "suites") suites = value
                else if (key == "enabled") enabled = value
            }
            END { flush() }' "$f"
    done
}

apt_mirror() {
    if [ -n "${NEURONHIL_DEBIAN_MIRROR:-}" ]; then
        echo "$NEURONHIL_DEBIAN_MIRROR"
        return 0
    fi
    local etc="${NEURONHIL_APT_ETC:-/etc/apt}" uri
    local lists=("$etc/sources.list") sources=() f
    for f in "$etc"/sources.list.d/*.list; do [ -e "$f" ] && lists+=("$f"); done
    for f in "$etc"/sources.list.d/*.sources; do [ -e "$f" ] && sources+=("$f"); done
    # The main archive: a release suite, not its -security or -updates companions (those live elsewhere or hold
    # only updates), and a network URI (not cdrom: or file:).
    uri=$( { _apt_mirror_list_entries "${lists[@]}"; _apt_mirror_deb822_entries "${sources[@]}"; } \
        | awk -F '\t' '$1 ~ /^https?:\/\// && $2 !~ /-(security|updates|backports)$/ && $2 !~ /\// { print $1; exit }')
    if [ -z "$uri" ]; then
        {
            echo "error: no Debian archive found in this machine's APT sources: $etc/sources.list," \
                "$etc/sources.list.d/*.list and $etc/sources.list.d/*.sources (read: ${lists[*]} ${sources[*]})."
            echo "Fix: add an entry for Debian's archive there (e.g. a 'deb URI bookworm main' line in $etc/sources.list,"
            echo "or a 'Types: deb' stanza with 'URIs:' in $etc/sources.list.d/debian.sources), or set"
            echo "NEURONHIL_DEBIAN_MIRROR to the archive's URI."
        } >&2
        return 1
    fi
    echo "${uri%/}"
}
