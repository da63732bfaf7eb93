"""A line-based SSE reader, as many Python clients are written: requests'
iter_lines(decode_unicode=True), which splits on str.splitlines()'s line
boundaries (U+0085, U+2028, U+2029 among them), not only on CR and LF.
Prints one JSON line per event: {"event", "data"} with data as read."""
import json
import sys

import requests

response = requests.get(sys.argv[1], stream=True, timeout=30)
response.encoding = "utf-8"
event, data = "message", []
for line in response.iter_lines(decode_unicode=True):
    if line == "":
        if data:
            print(json.dumps({"event": event, "data": "\n".join(data)}), flush=True)
        event, data = "message", []
    elif line.startswith("event: "):
        event = line[len("event: "):]
    elif line.startswith("data: "):
        data.append(line[len("data: "):])
    elif line.startswith("data:"):
        data.append(line[len("data:"):])
