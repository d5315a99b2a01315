#!/usr/bin/env bash
# Checks every relative link in README.md, docs/*.md and Boards/README.md: the file (or directory) it names exists, and a #anchor
# names a heading of the Markdown file it points at (GitHub's anchors: lower case, punctuation dropped, spaces to
# hyphens, "-1", "-2", ... for repeats). Links to other sites are not fetched. Exits 1 naming each broken link as
# FILE:LINE.
#
#   Scripts/check-links.sh [FILE.md ...]   (default: README.md docs/*.md Boards/README.md)
#
# bash and awk only: it runs first in Scripts/test.sh, also on a bare machine.
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    files=(README.md)
    for f in docs/*.md Boards/README.md; do [ -e "$f" ] && files+=("$f"); done
fi

# LINE<TAB>TARGET for each inline link or image outside code fences and code spans.
links() {
    awk '
        /^[ \t]*(```|~~~)/ { fence = !fence; next }
        fence { next }
        {
            line = $0
            gsub(/`[^`]*`/, "", line)
            while (match(line, /\]\([^)]*\)/)) {
                target = substr(line, RSTART + 2, RLENGTH - 3)
                sub(/[ \t]+"[^"]*"$/, "", target)   # a title: [text](file "title")
                gsub(/^<|>$/, "", target)
                print NR "\t" target
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$1"
}

# The anchors of a Markdown file's headings, one per line.
anchors() {
    awk '
        /^[ \t]*(```|~~~)/ { fence = !fence; next }
        fence || !/^#+[ \t]/ { next }
        {
            h = $0
            sub(/^#+[ \t]+/, "", h); sub(/[ \t]+#+[ \t]*$/, "", h)
            gsub(/`/, "", h)
            gsub(/\[|\]\([^)]*\)/, "", h)    # a link in a heading keeps its text
            h = tolower(h)
            s = ""
            for (i = 1; i <= length(h); i++) {
                c = substr(h, i, 1)
                if (c ~ /[a-z0-9_-]/) s = s c
                else if (c == " ") s = s "-"
                else if (c > "\177") s = s c   # UTF-8 bytes of letters are kept (GitHub keeps letters)
            }
            n = seen[s]++
            print (n ? s "-" n : s)
        }' "$1"
}

broken=0
for file in "${files[@]}"; do
    [ -f "$file" ] || { echo "$file: no such file" >&2; broken=$((broken + 1)); continue; }
    dir=$(dirname "$file")
    while IFS=$'\t' read -r line target; do
        case "$target" in
            http://* | https://* | mailto:* | "") continue ;;
        esac
        path=${target%%#*}
        anchor=""
        [ "$path" != "$target" ] && anchor=${target#*#}
        if [ -z "$path" ]; then resolved=$file; else resolved="$dir/$path"; fi
        if [ ! -e "$resolved" ]; then
            echo "$file:$line: broken link '$target': $resolved does not exist" >&2
            broken=$((broken + 1))
            continue
        fi
        if [ -n "$anchor" ]; then
            case "$resolved" in
                *.md) ;;
                *) continue ;;  # anchors into source files (#L10) are not checked
            esac
            if ! anchors "$resolved" | grep -qxF -- "$anchor"; then
                echo "$file:$line: broken link '$target': no heading in $resolved has the anchor #$anchor" >&2
                broken=$((broken + 1))
            fi
        fi
    done < <(links "$file")
done
if [ $broken -gt 0 ]; then
    echo "error: $broken broken link(s) (see above). Fix: correct the path or the anchor, or the heading it names." >&2
    exit 1
fi
echo "links: ${#files[@]} file(s), every relative link resolves"
