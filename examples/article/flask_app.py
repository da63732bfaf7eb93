"""The Flask server of the SSE article, as the article writes it.

GET /events streams five sentences as bare `data:` lines, one per second:
no `event:`, no `id:`, no `retry:`, the data as plain text. After the fifth
sentence it sleeps one more second, then the generator returns and the
response ends: the close is the only end mark. A client that reconnects
(as EventSource does) gets all five sentences again.

    python3 flask_app.py                 # http://127.0.0.1:8081/events

Env: HOST (default 127.0.0.1; the article binds 0.0.0.0), PORT (default
8081; 0 picks a free one, printed in Werkzeug's "Running on" line) and
ARTICLE_PAUSE_MS (the pause after each sentence, default 1000 as in the
article; the tests shorten it).
"""

import os
import time

from flask import Flask, Response

app = Flask(__name__)

SENTENCES = [
    "The first drop of rain lands on a dry stone.",
    "A second follows, then a hundred, and the stone turns dark.",
    "Water gathers in the cracks and starts to move downhill.",
    "By noon a thin stream is singing between the roots.",
    "By evening it has found the river, and the river the sea.",
]

PAUSE_SECONDS = int(os.environ.get("ARTICLE_PAUSE_MS", "1000")) / 1000


def generate():
    for sentence in SENTENCES:
        yield f"data: {sentence}\n\n"
        time.sleep(PAUSE_SECONDS)


@app.route("/events")
def events():
    # Flask adds "; charset=utf-8" to the mimetype and sets no Cache-Control.
    return Response(generate(), mimetype="text/event-stream")


if __name__ == "__main__":
    # debug=True as in the article; without the reloader, so that this process
    # is the server itself (one pid to stop) and no file watcher runs.
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8081")),
        debug=True,
        use_reloader=False,
    )
