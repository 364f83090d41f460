// scripts/exact-server/exact-server.cc — scripts/bench-server.ts without a garbage collector.
//
// The same protocol and --truth file as the Node server, for the benches that measure loadshape's own
// timing error against the server's stamps: Node's GC pauses (up to ~9 ms) and event-loop stalls made
// its arrival stamps late by its own noise. This is one thread on Linux epoll, no allocation on the
// paced path beyond growing buffers, and it spins for the last millisecond before a chunk is due, so
// a chunk leaves within tens of µs of its schedule (on a core of its own).
//
//   g++ -O2 -std=c++17 -o exact-server exact-server.cc      (scripts/exact-server/build.ts does this)
//   exact-server PORT [--ttft-ms N] [--itl-ms N] [--events-per-write N] [--content S] [--truth FILE]
//
// Prints "ready <port>" once listening on 127.0.0.1 (PORT 0 = ephemeral); exits 0 on SIGTERM/SIGINT
// after writing out the truth file. Per request (POST; a path ending in /chat/completions is chat,
// anything else completions): max_tokens (else max_completion_tokens, default 16) chunks, the first
// bench_ttft_ms after the request's body was read, then one every bench_itl_ms (defaults --ttft-ms 50,
// --itl-ms 10); bench_response_bytes > 0 makes each chunk's text that many "x". itl 0 = every chunk
// back to back, --events-per-write N of them per write (default: the whole response in one write).
// Each chunk carries "t", its send time (epoch ms): the clock read just before the write() that hands
// it to the kernel. --truth appends {"a":arrival,"s":[send times]} per finished request.
//
// Clock: stamps are CLOCK_MONOTONIC plus one CLOCK_REALTIME offset read at start (Node's
// performance.timeOrigin + performance.now() does the same), so a stamp difference is an exact
// monotonic interval, unmoved by a clock step during a run, and stamps still compare with the
// client's epoch times.
//
// Where it differs from the Node server, none of it on a path the benches take: max_tokens 0 sends no
// chunk (Node's paced path sends one); a body that is not a JSON object gets a 400 (Node's throws);
// the usage event and [DONE] leave in the last chunk's write; no Date header and no idle keep-alive
// timeout; pipelined requests are served in turn, each arriving when the one before it is done.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <queue>
#include <string>
#include <vector>

namespace {

// ---- options and clock ----------------------------------------------------------------------

double g_ttft_ms = 50, g_itl_ms = 10;
long g_events_per_write = 0;
std::string g_content = " tok";  // JSON-escaped
int g_truth_fd = -1;

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
int64_t g_epoch_offset_ns = 0;  // CLOCK_REALTIME − CLOCK_MONOTONIC, read once at start

void init_epoch_offset() {
  timespec rt;
  int64_t m0 = mono_ns();
  clock_gettime(CLOCK_REALTIME, &rt);
  int64_t m1 = mono_ns();
  g_epoch_offset_ns = int64_t(rt.tv_sec) * 1000000000 + rt.tv_nsec - (m0 + (m1 - m0) / 2);
}

/** Appends epoch milliseconds with 3 decimals (µs, rounded), as Number.prototype.toFixed(3) prints them. */
void append_ms(std::string& out, int64_t mono) {
  int64_t us = (mono + g_epoch_offset_ns + 500) / 1000;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
  out.append(buf, n);
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += char(c);
        }
    }
  }
  return o;
}

// ---- the request body: top-level numeric fields ------------------------------------------------
// A small scanner over the top-level object only: keys inside nested values and text inside strings
// (a prompt that says "max_tokens": 5) are skipped as values, never matched. Not a validating parser:
// it needs well-formed JSON and gives up (400) on what it cannot walk.

struct Fields {
  double max_tokens = NAN, max_completion_tokens = NAN, ttft = NAN, itl = NAN, response_bytes = NAN;
};

size_t skip_ws(const std::string& s, size_t p) {
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
  return p;
}
/** p at an opening quote; returns the index after the closing one, or npos. */
size_t skip_string(const std::string& s, size_t p) {
  for (p++; p < s.size(); p++) {
    if (s[p] == '\\') p++;
    else if (s[p] == '"') return p + 1;
  }
  return std::string::npos;
}
/** Skips one JSON value of any kind; returns the index after it, or npos. */
size_t skip_value(const std::string& s, size_t p) {
  if (p >= s.size()) return std::string::npos;
  if (s[p] == '"') return skip_string(s, p);
  if (s[p] == '{' || s[p] == '[') {
    int depth = 0;
    while (p < s.size()) {
      char c = s[p];
      if (c == '"') {
        p = skip_string(s, p);
        if (p == std::string::npos) return p;
        continue;
      }
      if (c == '{' || c == '[') depth++;
      else if ((c == '}' || c == ']') && --depth == 0) return p + 1;
      p++;
    }
    return std::string::npos;
  }
  while (p < s.size() && s[p] != ',' && s[p] != '}' && s[p] != ']' && s[p] != ' ' && s[p] != '\n' && s[p] != '\r' && s[p] != '\t') p++;
  return p;
}

bool parse_fields(const std::string& s, Fields& f) {
  size_t p = skip_ws(s, 0);
  if (p >= s.size() || s[p] != '{') return false;
  p = skip_ws(s, p + 1);
  if (p < s.size() && s[p] == '}') return true;
  for (;;) {
    if (p >= s.size() || s[p] != '"') return false;
    size_t end = skip_string(s, p);
    if (end == std::string::npos) return false;
    std::string key = s.substr(p + 1, end - p - 2);
    p = skip_ws(s, end);
    if (p >= s.size() || s[p] != ':') return false;
    p = skip_ws(s, p + 1);
    double* slot = key == "max_tokens" ? &f.max_tokens
                   : key == "max_completion_tokens" ? &f.max_completion_tokens
                   : key == "bench_ttft_ms" ? &f.ttft
                   : key == "bench_itl_ms" ? &f.itl
                   : key == "bench_response_bytes" ? &f.response_bytes
                   : nullptr;
    // Like the Node server's `??`: a non-number (null, a string) counts as absent; the last duplicate wins.
    if (slot) {
      char* e = nullptr;
      double v = strtod(s.c_str() + p, &e);
      *slot = (e != s.c_str() + p && std::isfinite(v)) ? v : NAN;
    }
    p = skip_value(s, p);
    if (p == std::string::npos) return false;
    p = skip_ws(s, p);
    if (p < s.size() && s[p] == ',') {
      p = skip_ws(s, p + 1);
      continue;
    }
    return p < s.size() && s[p] == '}';
  }
}

// ---- connections ------------------------------------------------------------------------------

struct Conn {
  int fd;
  std::string in;         // bytes read and not yet consumed by a request
  std::string out;        // bytes the kernel did not take yet (EAGAIN); written on EPOLLOUT
  size_t out_off = 0;
  bool want_out = false;  // EPOLLOUT armed
  bool close_after = false;
  bool continue_sent = false;  // "100 Continue" answered for the request being read
  bool burst_waiting = false;  // an itl-0 stream paused until the kernel takes its queued bytes

  // The stream in progress (one per connection: requests on a keep-alive connection are sequential).
  uint64_t stream_id = 0;  // 0 = none
  bool chat = true;
  long n = 0, i = 0;
  int64_t t0 = 0;       // arrival, monotonic ns
  double ttft_ms = 0, itl_ms = 0;
  std::string content;  // JSON-escaped chunk text
  std::vector<int64_t> stamps;
};

std::vector<Conn*> g_conns;  // by fd
int g_ep = -1;
uint64_t g_next_stream_id = 1;

struct Due {
  int64_t at;
  uint64_t seq;  // FIFO among equal deadlines
  int fd;
  uint64_t stream_id;
  bool operator>(const Due& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};
// Entries of closed or finished streams stay until they come up and are then skipped (stream_id no longer matches).
std::priority_queue<Due, std::vector<Due>, std::greater<Due>> g_heap;
uint64_t g_seq = 0;

std::string g_truth;  // finished requests' lines not yet written
int64_t g_truth_since = 0;

void flush_truth() {
  size_t off = 0;
  while (off < g_truth.size()) {
    ssize_t w = write(g_truth_fd, g_truth.data() + off, g_truth.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("exact-server: truth file");
      break;
    }
    off += size_t(w);
  }
  g_truth.clear();
}

void set_out_interest(Conn* c, bool want) {
  if (c->want_out == want) return;
  c->want_out = want;
  epoll_event ev{};
  ev.events = want ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.fd = c->fd;
  epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void close_conn(Conn* c) {
  // A stream dropped mid-way writes no truth line; its heap entries are skipped when they come up.
  close(c->fd);  // also removes it from the epoll set
  g_conns[c->fd] = nullptr;
  delete c;
}

/** Hands `data` to the kernel now, or queues it behind bytes already waiting. False: the connection is gone (closed). */
bool send_bytes(Conn* c, const char* data, size_t len) {
  if (c->out.size() > c->out_off) {  // keep order: wait behind what is queued
    c->out.append(data, len);
    return true;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_conn(c);
      return false;
    }
    off += size_t(w);
  }
  if (off < len) {
    // The client is not reading fast enough (its socket buffer is full). The chunk's stamp stays the
    // time it was offered; it reaches the kernel on EPOLLOUT, a lag that is the client's own.
    c->out.assign(data + off, len - off);
    c->out_off = 0;
    set_out_interest(c, true);
  }
  return true;
}

const char kKeepAlive[] = "Connection: keep-alive\r\nKeep-Alive: timeout=60\r\n";

bool send_simple(Conn* c, int status, const char* reason, const char* body) {
  char head[256];
  int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\nContent-Length: %zu\r\n%s\r\n", status, reason, strlen(body),
                   c->close_after ? "Connection: close\r\n" : kKeepAlive);
  std::string msg(head, n);
  msg += body;
  return send_bytes(c, msg.data(), msg.size());
}

/** Chunk i's SSE event up to its "t" value (formatted before the clock is read). */
void event_prefix(std::string& ev, Conn* c) {
  ev.clear();
  ev += "data: {\"id\":\"b\",\"object\":\"";
  ev += c->chat ? "chat.completion.chunk" : "text_completion";
  ev += "\",\"model\":\"bench\",\"choices\":[{\"index\":0,";
  if (c->chat) {
    ev += "\"delta\":{\"content\":\"";
    ev += c->content;
    ev += "\"}";
  } else {
    ev += "\"text\":\"";
    ev += c->content;
    ev += "\"";
  }
  ev += ",\"finish_reason\":";
  ev += c->i == c->n - 1 ? "\"length\"" : "null";
  ev += "}],\"t\":";
}

/** Completes the event with its stamp `t` and appends it to `out` as one HTTP/1.1 chunk. */
void append_event(std::string& out, std::string& ev, int64_t t) {
  append_ms(ev, t);
  ev += "}\n\n";
  char size[24];
  out.append(size, size_t(snprintf(size, sizeof size, "%zx\r\n", ev.size())));
  out += ev;
  out += "\r\n";
}

/** The usage event, [DONE] and the last (zero-length) chunk. */
void append_tail(std::string& out, Conn* c) {
  char ev[256];
  int n = snprintf(ev, sizeof ev,
                   "data: {\"id\":\"b\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":%ld,\"total_tokens\":%ld}}\n\ndata: [DONE]\n\n",
                   c->n, c->n + 1);
  char size[24];
  out.append(size, size_t(snprintf(size, sizeof size, "%x\r\n", n)));
  out.append(ev, size_t(n));
  out += "\r\n0\r\n\r\n";
}

/** The stream's bytes are all handed over (or queued): its truth line, formatted after the last write. */
void finish_stream(Conn* c) {
  if (g_truth_fd >= 0) {
    if (g_truth.empty()) g_truth_since = mono_ns();
    g_truth += "{\"a\":";
    append_ms(g_truth, c->t0);
    g_truth += ",\"s\":[";
    for (size_t k = 0; k < c->stamps.size(); k++) {
      if (k) g_truth += ',';
      append_ms(g_truth, c->stamps[k]);
    }
    g_truth += "]}\n";
  }
  c->stream_id = 0;
  c->stamps.clear();
}

const char kKeepAliveEnd[] = "Connection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n";
const char kSseHead[] = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nTransfer-Encoding: chunked\r\n";

void handle_requests(Conn* c, int64_t read_at);

/** After a response is complete: close when asked to, else serve a request already read (pipelined). */
void response_done(Conn* c) {
  if (c->close_after) {
    if (c->out.size() <= c->out_off) close_conn(c);
    return;  // else closed once the queue drains
  }
  if (!c->in.empty()) handle_requests(c, mono_ns());  // a pipelined request arrives when the server turns to it
}

/**
 * Runs the stream's due step. Paced (itl > 0): chunk i alone, in one write (the last with the tail).
 * itl 0: every chunk back to back, --events-per-write per write, pausing while the kernel takes no more.
 */
void run_stream(Conn* c) {
  // Reused, so no allocation comes between a stamp and its write once they have grown. (A nested call,
  // through response_done, only happens after this one's last use of them.)
  static std::string buf, ev;
  buf.clear();
  if (c->itl_ms > 0) {
    if (c->i == 0) {
      // The headers leave with the first chunk, as Node's writeHead + write send them.
      buf += kSseHead;
      buf += c->close_after ? "Connection: close\r\n\r\n" : kKeepAliveEnd;
    }
    event_prefix(ev, c);
    bool last = c->i + 1 >= c->n;
    int64_t t = mono_ns();
    append_event(buf, ev, t);
    if (last) append_tail(buf, c);  // the end leaves with the last chunk
    if (!send_bytes(c, buf.data(), buf.size())) return;
    c->stamps.push_back(t);
    c->i++;
    if (last) {
      finish_stream(c);
      response_done(c);
    } else {
      g_heap.push(Due{c->t0 + llround((c->ttft_ms + double(c->i) * c->itl_ms) * 1e6), g_seq++, c->fd, c->stream_id});
    }
    return;
  }
  // As fast as possible. Each event is stamped as it is formatted, just before its batch's write (as
  // the Node server stamps each res.write of a corked batch).
  while (c->out.size() <= c->out_off) {
    buf.clear();
    if (c->i == 0) {
      buf += kSseHead;
      buf += c->close_after ? "Connection: close\r\n\r\n" : kKeepAliveEnd;
    }
    long batch = g_events_per_write > 0 ? g_events_per_write : c->n;
    for (long k = 0; k < batch && c->i < c->n; k++) {
      event_prefix(ev, c);
      int64_t t = mono_ns();
      append_event(buf, ev, t);
      c->stamps.push_back(t);
      c->i++;
    }
    bool last = c->i >= c->n;
    if (last) append_tail(buf, c);
    if (!send_bytes(c, buf.data(), buf.size())) return;
    if (last) {
      finish_stream(c);
      response_done(c);
      return;
    }
  }
  // The kernel took only part of a batch: the next one follows once it has taken the rest (on_writable).
  c->burst_waiting = true;
}

/** Finds a complete chunked body at in[p...]; returns the index after it (body in `body`), 0 if incomplete, npos if malformed. */
size_t dechunk(const std::string& in, size_t p, std::string& body) {
  body.clear();
  for (;;) {
    size_t eol = in.find("\r\n", p);
    if (eol == std::string::npos) return 0;
    char* e = nullptr;
    unsigned long long size = strtoull(in.c_str() + p, &e, 16);
    if (e == in.c_str() + p || size > (1ull << 30)) return std::string::npos;
    p = eol + 2;
    if (size == 0) {
      // Trailers, if any, end with an empty line.
      for (;;) {
        size_t l = in.find("\r\n", p);
        if (l == std::string::npos) return 0;
        if (l == p) return p + 2;
        p = l + 2;
      }
    }
    if (in.size() < p + size + 2) return 0;
    body.append(in, p, size);
    p += size + 2;
  }
}

bool ieq_prefix(const char* a, size_t alen, const char* lower) {
  size_t n = strlen(lower);
  if (alen < n) return false;
  for (size_t k = 0; k < n; k++)
    if (tolower((unsigned char)a[k]) != lower[k]) return false;
  return true;
}

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/** Answers a request it cannot serve with `status`, then closes the connection. */
void reject(Conn* c, int status, const char* reason, const char* body) {
  c->close_after = true;
  c->in.clear();
  if (send_simple(c, status, reason, body)) response_done(c);
}

/**
 * Serves every complete request in c->in, one at a time (stops while a stream is in progress).
 * `read_at`: when the bytes that completed it were read, its arrival (the Node server's req 'end').
 */
void handle_requests(Conn* c, int64_t read_at) {
  while (c->stream_id == 0 && !c->in.empty()) {
    size_t head_end = c->in.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (c->in.size() > (64 << 10)) reject(c, 431, "Request Header Fields Too Large", "{\"error\":{\"message\":\"headers too large\"}}");
      return;
    }
    // Request line.
    const char* s = c->in.data();
    size_t line_end = c->in.find("\r\n");
    std::string line(s, line_end);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 <= sp1) {
      reject(c, 400, "Bad Request", "{\"error\":{\"message\":\"bad request line\"}}");
      return;
    }
    std::string method = line.substr(0, sp1), url = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
    bool keep_alive = version != "HTTP/1.0";
    long long content_length = 0;
    bool chunked = false, expect_continue = false;
    for (size_t p = line_end + 2; p < head_end;) {
      size_t e = c->in.find("\r\n", p);
      const char* h = s + p;
      size_t hl = e - p;
      auto value = [&](size_t name_len) {
        size_t v = name_len;
        while (v < hl && (h[v] == ' ' || h[v] == '\t')) v++;
        return std::string(h + v, hl - v);
      };
      if (ieq_prefix(h, hl, "content-length:")) content_length = atoll(value(15).c_str());
      else if (ieq_prefix(h, hl, "transfer-encoding:")) {
        std::string v = value(18);
        for (auto& ch : v) ch = char(tolower((unsigned char)ch));
        chunked = v.find("chunked") != std::string::npos;
      } else if (ieq_prefix(h, hl, "connection:")) {
        std::string v = value(11);
        for (auto& ch : v) ch = char(tolower((unsigned char)ch));
        if (v.find("close") != std::string::npos) keep_alive = false;
        else if (v.find("keep-alive") != std::string::npos) keep_alive = true;
      } else if (ieq_prefix(h, hl, "expect:")) {
        std::string v = value(7);
        for (auto& ch : v) ch = char(tolower((unsigned char)ch));
        expect_continue = v.find("100-continue") != std::string::npos;
      }
      p = e + 2;
    }
    size_t body_start = head_end + 4, next;
    std::string body;
    if (chunked) {
      next = dechunk(c->in, body_start, body);
      if (next == std::string::npos) {
        reject(c, 400, "Bad Request", "{\"error\":{\"message\":\"bad chunked body\"}}");
        return;
      }
    } else {
      if (content_length < 0 || content_length > (1ll << 30)) {
        reject(c, 400, "Bad Request", "{\"error\":{\"message\":\"bad content-length\"}}");
        return;
      }
      next = c->in.size() >= body_start + size_t(content_length) ? body_start + size_t(content_length) : 0;
      if (next) body.assign(c->in, body_start, size_t(content_length));
    }
    if (next == 0) {  // the body is still coming
      if (expect_continue && !c->continue_sent) {
        c->continue_sent = true;
        const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        send_bytes(c, cont, sizeof cont - 1);
      }
      return;
    }
    int64_t t0 = read_at;
    c->in.erase(0, next);
    c->continue_sent = false;
    c->close_after = !keep_alive;
    // Same routing, in the same order, as scripts/bench-server.ts.
    if (url == "/health") {
      if (!send_simple(c, 200, "OK", "{\"status\":\"ok\"}")) return;
      response_done(c);
      return;  // response_done served what follows
    }
    bool models = ends_with(url, "/models");
    if (method != "POST" && !models) {
      if (!send_simple(c, 404, "Not Found", "{\"error\":{\"message\":\"not found\"}}")) return;
      response_done(c);
      return;
    }
    if (models) {
      if (!send_simple(c, 200, "OK", "{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\"}]}")) return;
      response_done(c);
      return;
    }
    Fields f;
    if (!parse_fields(body, f)) {
      // (The Node server throws on a body that is not JSON; a 400 is kinder.)
      reject(c, 400, "Bad Request", "{\"error\":{\"message\":\"body is not a JSON object\"}}");
      return;
    }
    double n = !std::isnan(f.max_tokens) ? f.max_tokens : !std::isnan(f.max_completion_tokens) ? f.max_completion_tokens : 16;
    c->chat = ends_with(url, "/chat/completions");
    c->n = n > 0 ? long(std::ceil(n)) : 0;
    c->i = 0;
    c->t0 = t0;
    c->ttft_ms = !std::isnan(f.ttft) ? f.ttft : g_ttft_ms;
    c->itl_ms = !std::isnan(f.itl) ? f.itl : g_itl_ms;
    long rb = !std::isnan(f.response_bytes) && f.response_bytes > 0 ? long(f.response_bytes) : 0;
    c->content = rb > 0 ? std::string(size_t(rb), 'x') : g_content;
    c->stamps.clear();
    c->stamps.reserve(size_t(std::min(c->n, 100000L)));
    c->burst_waiting = false;
    c->stream_id = g_next_stream_id++;
    if (c->n == 0) {
      // No chunks: the headers and the tail at the first chunk's time would be a corner nobody
      // measures; answer at once.
      std::string buf = kSseHead;
      buf += c->close_after ? "Connection: close\r\n\r\n" : kKeepAliveEnd;
      append_tail(buf, c);
      if (!send_bytes(c, buf.data(), buf.size())) return;
      finish_stream(c);
      response_done(c);
      return;
    }
    if (c->ttft_ms <= 0) {
      run_stream(c);  // may close c, or serve the next request through response_done
      return;
    }
    g_heap.push(Due{t0 + llround(c->ttft_ms * 1e6), g_seq++, c->fd, c->stream_id});
    return;  // c->in keeps a pipelined request until this stream is done
  }
}

void on_readable(Conn* c) {
  static char buf[65536];
  for (;;) {
    ssize_t r = read(c->fd, buf, sizeof buf);
    if (r > 0) {
      c->in.append(buf, size_t(r));
      if (size_t(r) < sizeof buf) break;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_conn(c);  // EOF or error: a stream in progress is dropped
    return;
  }
  // Stamped before any parsing: the request's arrival is when its last bytes were read.
  if (c->stream_id == 0) handle_requests(c, mono_ns());
  else if (c->in.size() > (64u << 20)) close_conn(c);  // a client sending without reading
}

void on_writable(Conn* c) {
  while (c->out_off < c->out.size()) {
    ssize_t w = send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close_conn(c);
      return;
    }
    c->out_off += size_t(w);
  }
  c->out.clear();
  c->out_off = 0;
  set_out_interest(c, false);
  if (c->burst_waiting) {
    c->burst_waiting = false;
    run_stream(c);  // an as-fast-as-possible burst that was waiting for the kernel
    return;
  }
  if (c->close_after && c->stream_id == 0) close_conn(c);
}

void accept_all(int lfd) {
  for (;;) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) perror("exact-server: accept");
      return;
    }
    // Every chunk leaves when written, never held back by Nagle (Node's server sets noDelay too).
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (size_t(fd) >= g_conns.size()) g_conns.resize(size_t(fd) * 2 + 64, nullptr);
    Conn* c = new Conn();
    c->fd = fd;
    g_conns[fd] = c;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev);
  }
}

const char* opt(int argc, char** argv, const char* name) {
  for (int k = 1; k + 1 < argc; k++)
    if (strcmp(argv[k], name) == 0) return argv[k + 1];
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exact-server PORT [--ttft-ms N] [--itl-ms N] [--events-per-write N] [--content S] [--truth FILE]\n");
    return 2;
  }
  if (const char* v = opt(argc, argv, "--ttft-ms")) g_ttft_ms = atof(v);
  if (const char* v = opt(argc, argv, "--itl-ms")) g_itl_ms = atof(v);
  if (const char* v = opt(argc, argv, "--events-per-write")) g_events_per_write = atol(v);
  if (const char* v = opt(argc, argv, "--content")) g_content = json_escape(v);
  if (const char* v = opt(argc, argv, "--truth")) {
    g_truth_fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_truth_fd < 0) {
      perror(v);
      return 1;
    }
  }
  init_epoch_offset();

  // Thousands of connections: lift the soft descriptor limit to the hard one.
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  // Timed sleeps end as close to their deadline as the kernel can (default slack: 50 µs).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  // SIGTERM/SIGINT arrive through a descriptor in the epoll set, so a signal is never lost between a check and a sleep.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("exact-server: listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, (sockaddr*)&addr, &alen);

  g_ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = sfd;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, sfd, &ev);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  int64_t timer_at = 0;  // when tfd is armed to fire (CLOCK_MONOTONIC ns), 0 = not armed
  ev.data.fd = tfd;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, tfd, &ev);

  printf("ready %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  std::vector<epoll_event> events(1024);
  for (;;) {
    // Due chunks first: they are the schedule.
    int64_t now = mono_ns();
    while (!g_heap.empty() && g_heap.top().at <= now) {
      Due d = g_heap.top();
      g_heap.pop();
      Conn* c = size_t(d.fd) < g_conns.size() ? g_conns[d.fd] : nullptr;
      if (c && c->stream_id == d.stream_id) run_stream(c);
      now = mono_ns();
    }
    // Sleep until 1 ms before the next due chunk, then spin: a wake-up from sleep can be late by
    // tens of µs or more, a spinning loop sees the deadline pass within a microsecond or two. The
    // sleep ends on a timerfd (epoll_wait's own timeout only counts whole milliseconds).
    int timeout = -1;
    if (!g_heap.empty()) {
      int64_t wake = g_heap.top().at - 1000000;
      if (wake <= now) timeout = 0;
      else if (wake != timer_at) {
        itimerspec its{};
        its.it_value.tv_sec = wake / 1000000000;
        its.it_value.tv_nsec = wake % 1000000000;
        timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
        timer_at = wake;
      }
    }
    // Truth lines go out when the loop has time (not between a stamp and its write), and at the
    // latest 10 ms after a request finished, so the file is complete by the time a client can read it.
    if (!g_truth.empty()) {
      bool idle = g_heap.empty() || g_heap.top().at - now > 300000;
      if (idle || g_truth.size() > (64u << 10) || now - g_truth_since > 10000000) flush_truth();
    }
    int nev = epoll_wait(g_ep, events.data(), int(events.size()), timeout);
    if (nev < 0) {
      if (errno == EINTR) continue;
      perror("exact-server: epoll_wait");
      return 1;
    }
    for (int k = 0; k < nev; k++) {
      int fd = events[k].data.fd;
      if (fd == lfd) {
        accept_all(lfd);
        continue;
      }
      if (fd == tfd) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0) {}
        timer_at = 0;
        continue;
      }
      if (fd == sfd) {
        if (g_truth_fd >= 0) {
          flush_truth();
          close(g_truth_fd);
        }
        return 0;
      }
      Conn* c = size_t(fd) < g_conns.size() ? g_conns[fd] : nullptr;
      if (!c) continue;
      uint32_t e = events[k].events;
      if (e & EPOLLOUT) {
        on_writable(c);
        c = g_conns[fd];
        if (!c) continue;
      }
      if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
}
