#!/usr/bin/env bash
# detect's report.html in a real browser: headless Chromium renders the page of the bundled
# capture to a PNG, which must be the page's picture (many colours, ink on a good part of it);
# a blank page, rendered the same way, must not pass the same check.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "ok - report.html in a browser skipped: chromium is not installed (make deps installs" \
		"the Debian package chromium) # SKIP"
	exit 0
fi

pcap=$DATA/sample.pcap
"$FLOWSAD" train --window 10s --seed 1 --epochs-pretrain 3 --epochs 5 -o "$T/m" "$pcap" \
	>/dev/null 2>&1
"$FLOWSAD" detect -m "$T/m" -o "$T/out" "$pcap" 2>/dev/null
echo '<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>' >"$T/blank.html"

# render PAGE PNG: a 1200x1600 screenshot, in a profile of its own, never on the network
render() {
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$T/profile" --proxy-server=127.0.0.1:9 --window-size=1200,1600 \
		--screenshot="$2" "file://$1" >"$T/browser.log" 2>&1
}
# picture PNG: at least 100 colours and 3 % of the pixels not white
picture() {
	read -r width height colours ink < <(python3 "$tools/png-colours.py" "$1")
	echo "${width}x$height, $colours colours, ink $ink"
	[ "$width" = 1200 ] && [ "$height" = 1600 ] && [ "$colours" -ge 100 ] &&
		awk -v ink="$ink" 'BEGIN { exit !(ink >= 0.03) }'
}

render "$T/out/report.html" "$T/report.png"
check "chromium renders report.html to a PNG" test -s "$T/report.png"
check "the PNG is the page, not a blank ($(picture "$T/report.png" | head -1))" \
	picture "$T/report.png"
render "$T/blank.html" "$T/blank.png"
not_picture() { ! picture "$1"; }
check "a blank page rendered alike fails that check ($(picture "$T/blank.png" | head -1))" \
	not_picture "$T/blank.png"
