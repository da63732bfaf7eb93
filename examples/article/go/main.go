// The Go server of the SSE article, as the article writes it.
//
// GET /events streams five sentences as bare `data:` lines, one per second,
// flushing each: no `event:`, no `id:`, no `retry:`, the data as plain text.
// After the fifth sentence's pause the handler returns and the response ends:
// the close is the only end mark. A client that reconnects (as EventSource
// does) gets all five sentences again.
//
//	go run .                          # http://127.0.0.1:8080/events
//
// Env: ADDR (default 127.0.0.1:8080; the article listens on ":8080", every
// interface; port 0 picks a free one), ARTICLE_PAUSE_MS (the pause after each
// sentence, default 1000 as in the article; the tests shorten it). Prints
// "listening on http://<address>" once it accepts connections.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

var sentences = []string{
	"The first drop of rain lands on a dry stone.",
	"A second follows, then a hundred, and the stone turns dark.",
	"Water gathers in the cracks and starts to move downhill.",
	"By noon a thin stream is singing between the roots.",
	"By evening it has found the river, and the river the sea.",
}

// The pause after each sentence: one second, as in the article, unless ARTICLE_PAUSE_MS says otherwise.
var pause = pauseFromEnv()

func pauseFromEnv() time.Duration {
	ms := os.Getenv("ARTICLE_PAUSE_MS")
	if ms == "" {
		return time.Second
	}
	n, err := strconv.Atoi(ms)
	if err != nil || n < 0 {
		log.Fatalf("ARTICLE_PAUSE_MS must be a whole number of milliseconds, got %q", ms)
	}
	return time.Duration(n) * time.Millisecond
}

func sseHandler(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "Streaming unsupported!", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")

	for _, sentence := range sentences {
		if _, err := fmt.Fprintf(w, "data: %s\n\n", sentence); err != nil {
			return
		}
		flusher.Flush()
		time.Sleep(pause)
	}
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}

	http.HandleFunc("/events", sseHandler)
	// Listen first, then serve: with port 0 the line below says which port was picked.
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, nil))
}
