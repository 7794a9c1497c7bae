"""A scripted SQL policy behind the OpenAI chat-completions API, on loopback.

    python3 model_server.py PORT_FILE

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE, and answers
POST /v1/chat/completions. The reply depends only on the conversation: the
last user question picks a script (the first key found in it), and the
number of assistant turns so far picks the line. Some lines are destructive
SQL, so a governed agent meets the kernel's denials. Serves until killed.
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPTS = {
    "how many customers": ["SELECT COUNT(*) FROM customers", "SELECT COUNT(*) FROM customers"],
    "clean up the orders": ["DROP TABLE orders", "DELETE FROM orders"],
    "cheap products": ["SELECT name FROM products WHERE price < 10", "SELECT 1"],
    "reprice everything": ["UPDATE products SET price = 0", "UPDATE products SET price = 1 WHERE id = 1"],
}
FALLBACK = ["SELECT 1", "SELECT 1"]


def reply_for(messages: list) -> str:
    question = next((m["content"] for m in messages if m.get("role") == "user"), "").lower()
    script = next((lines for key, lines in SCRIPTS.items() if key in question), FALLBACK)
    turn = sum(1 for m in messages if m.get("role") == "assistant")
    return f"```sql\n{script[min(turn, len(script) - 1)]}\n```"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_error(404)
            return
        content = reply_for(body.get("messages", []))
        out = json.dumps({"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
                          "model": body.get("model", "scripted"),
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": content}}],
                          "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
