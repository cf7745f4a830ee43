// dispatch_ws_load: end-to-end dispatch load over real WebSocket connections to a running engine.
// `loc` floods driver locations (frames without id: the engine answers nothing, so the client
// writes pipelined batches and the rate is read from the engine's dispatch_fixes_*_total counters by
// the calling script); `nearby` first places --drivers drivers (one connection each, one fix with
// id), then riders keep --window nearest-k queries in flight per connection and the replies are
// counted with their latency (send -> reply, full histogram, p50/p99/p999).
// Self-contained (POSIX sockets + epoll, hand-written RFC 6455 client frames) so that it builds
// with one compiler call; see dispatch_bench.sh.
// Usage: dispatch_ws_load loc|nearby --port P [--conns N] [--threads T] [--seconds S]
//        [--drivers D] [--window W] [--k K] [--spread-deg 0.18] [--rate R]
// --rate (loc): offer R fixes/s in total on a fixed schedule instead of flooding, so that two
// engines can be compared by their cost per fix at the same load.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

/// Metro areas the simulated fleet lives in (several, so the engine's coarse cells, and with them
/// the drivers, spread over its shards as a multi-city deployment would).
constexpr double kCities[][2] = {{37.7749, -122.4194}, {40.7128, -74.0060}, {51.5074, -0.1278},
                                 {48.8566, 2.3522},    {35.6762, 139.6503}, {-23.5505, -46.6333},
                                 {19.4326, -99.1332},  {52.5200, 13.4050}};
constexpr int kCityCount = 8;

/// A client TEXT frame with a zero masking key (valid per RFC 6455: the key is present; the
/// payload XOR 0 is the payload).
void append_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x81));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  }
  out.append(4, '\0');
  out.append(payload);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

/// Reads server frames (unmasked, unfragmented TEXT) from a buffer; returns payload views.
struct FrameReader {
  std::string buffer;
  std::size_t start = 0;

  bool next(std::string_view& payload) {
    const std::size_t avail = buffer.size() - start;
    if (avail < 2) {
      return false;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(buffer.data() + start);
    std::size_t header = 2;
    std::uint64_t length = p[1] & 0x7f;
    if (length == 126) {
      if (avail < 4) {
        return false;
      }
      length = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (avail < 10) {
        return false;
      }
      length = 0;
      for (int i = 0; i < 8; ++i) {
        length = (length << 8) | p[2 + i];
      }
      header = 10;
    }
    if (avail < header + length) {
      return false;
    }
    payload = std::string_view(buffer.data() + start + header, length);
    start += header + length;
    return true;
  }
  void compact() {
    if (start > 0) {
      buffer.erase(0, start);
      start = 0;
    }
  }
};

int connect_ws(int port, const std::string& user, const char* role) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string request =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  write_all(fd, request.data(), request.size());
  std::string head;
  char c;
  while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
    if (::read(fd, &c, 1) != 1) {
      throw std::runtime_error("handshake: connection closed");
    }
    head.push_back(c);
  }
  if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
    throw std::runtime_error("handshake refused: " + head.substr(0, head.find('\r')));
  }
  std::string auth;
  append_frame(auth, "{\"op\":\"auth\",\"id\":0,\"user\":\"" + user + "\",\"role\":\"" + role + "\"}");
  write_all(fd, auth.data(), auth.size());
  FrameReader reader;
  char buf[4096];
  std::string_view payload;
  while (!reader.next(payload)) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      throw std::runtime_error("auth: connection closed");
    }
    reader.buffer.append(buf, static_cast<std::size_t>(n));
  }
  if (payload.find("\"op\":\"auth\"") == std::string_view::npos) {
    throw std::runtime_error("auth refused: " + std::string(payload));
  }
  return fd;
}

struct Options {
  std::string mode;
  int port = 0;
  int conns = 64;
  int threads = 1;
  double seconds = 5;
  int drivers = 2000;
  int window = 16;
  int k = 10;
  double spread_deg = 0.18;  // side of each city's square, degrees of latitude
  double rate = 0;           // loc: fixes per second in total, paced; 0 = as fast as possible
};

std::string fmt_loc(double lat, double lng, double heading, const char* id_field) {
  char text[160];
  std::snprintf(text, sizeof text,
                "{\"op\":\"loc\"%s,\"lat\":%.6f,\"lng\":%.6f,\"heading\":%.0f,\"speed_mps\":3,"
                "\"available\":true}",
                id_field, lat, lng, heading);
  return text;
}

/// Position of driver i: its city, then a spot in a square of `spread` degrees around the centre.
void driver_home(int i, double spread, double& lat, double& lng) {
  const double* city = kCities[i % kCityCount];
  std::uint64_t x = static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ull + 12345;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  const double u = static_cast<double>(x >> 40) / static_cast<double>(1ull << 24);
  const double v = static_cast<double>((x >> 16) & 0xffffff) / static_cast<double>(1ull << 24);
  lat = city[0] + (u - 0.5) * spread;
  lng = city[1] + (v - 0.5) * spread / std::cos(city[0] * M_PI / 180);
}

// ---- loc: each connection writes its ring of fixes (a 30 m circle) over and over ----------------
int run_loc(const Options& o) {
  constexpr int kRing = 64;
  std::vector<int> fds;
  std::vector<std::string> rings;
  for (int i = 0; i < o.conns; ++i) {
    fds.push_back(connect_ws(o.port, "loc" + std::to_string(i), "driver"));
    // A small send buffer: the writer blocks once the engine falls behind instead of parking
    // hundreds of MB in the kernel (and spinning a core the engine could use).
    const int sndbuf = 64 * 1024;
    ::setsockopt(fds.back(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    double lat, lng;
    driver_home(i, o.spread_deg, lat, lng);
    std::string ring;
    for (int s = 0; s < kRing; ++s) {
      const double a = 2 * M_PI * s / kRing;
      append_frame(ring, fmt_loc(lat + 0.00027 * std::sin(a), lng + 0.00027 * std::cos(a),
                                 std::fmod(360 + a * 180 / M_PI, 360), ""));
    }
    rings.push_back(std::move(ring));
  }
  std::printf("loc: %d driver connections ready, %zu bytes per %d-fix batch\n", o.conns,
              rings[0].size(), kRing);
  std::fflush(stdout);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t mine = 0;
      // With --rate, each thread writes one batch every `gap` (its share of the rate), on a fixed
      // schedule: a late batch is written at once, not skipped (the offered load stays the rate).
      const auto gap = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          o.rate > 0 ? kRing * o.threads / o.rate : 0.0));
      auto next = Clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        for (std::size_t c = static_cast<std::size_t>(t);
             c < fds.size() && !stop.load(std::memory_order_relaxed);
             c += static_cast<std::size_t>(o.threads)) {
          if (o.rate > 0) {
            next += gap;
            std::this_thread::sleep_until(next);
          }
          write_all(fds[c], rings[c].data(), rings[c].size());
          mine += kRing;
        }
      }
      sent.fetch_add(mine);
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& th : threads) {
    th.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("loc: client wrote %llu fixes in %.2f s = %.0f fixes/s (written, not yet processed: "
              "the engine-side rate is from its dispatch_fixes_*_total counters)\n",
              static_cast<unsigned long long>(sent.load()), elapsed,
              static_cast<double>(sent.load()) / elapsed);
  // Errors would come back as frames: collect whatever is waiting (without blocking).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::uint64_t error_frames = 0;
  for (int fd : fds) {
    char buf[65536];
    ssize_t n;
    std::string all;
    while ((n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      all.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t p = 0; (p = all.find("\"op\":\"error\"", p)) != std::string::npos; ++p) {
      ++error_frames;
    }
    ::close(fd);
  }
  std::printf("loc: error frames received: %llu\n", static_cast<unsigned long long>(error_frames));
  return error_frames == 0 ? 0 : 3;
}

// ---- nearby: place drivers, then keep `window` queries in flight per rider connection ----------
int run_nearby(const Options& o) {
  std::vector<int> drivers;
  for (int i = 0; i < o.drivers; ++i) {
    const int fd = connect_ws(o.port, "drv" + std::to_string(i), "driver");
    double lat, lng;
    driver_home(i, o.spread_deg, lat, lng);
    std::string frame;
    append_frame(frame, fmt_loc(lat, lng, 0, ",\"id\":1"));
    write_all(fd, frame.data(), frame.size());
    drivers.push_back(fd);
  }
  for (int fd : drivers) {  // every fix acknowledged: the fleet is in place
    FrameReader reader;
    char buf[1024];
    std::string_view payload;
    while (!reader.next(payload)) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) {
        throw std::runtime_error("driver placement: connection closed");
      }
      reader.buffer.append(buf, static_cast<std::size_t>(n));
    }
    if (payload.find("\"cell\"") == std::string_view::npos) {
      throw std::runtime_error("driver placement refused: " + std::string(payload));
    }
  }
  std::printf("nearby: %d drivers placed in %d cities\n", o.drivers, kCityCount);
  std::fflush(stdout);

  struct Rider {
    int fd;
    FrameReader reader;
    std::vector<std::uint64_t> sent_ns;  // by id % window... ids are sequential per rider
    std::uint64_t next_id = 0;
    double lat, lng;
  };
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::vector<std::thread> threads;
  std::vector<std::vector<std::uint64_t>> latencies(static_cast<std::size_t>(o.threads));
  std::atomic<std::uint64_t> replies{0}, errors{0}, empty{0};
  const double warmup_s = 1.0;
  std::vector<std::unique_ptr<Rider>> riders;
  for (int i = 0; i < o.conns; ++i) {
    auto r = std::make_unique<Rider>();
    r->fd = connect_ws(o.port, "rdr" + std::to_string(i), "rider");
    driver_home(i * 7919 + 3, o.spread_deg, r->lat, r->lng);
    r->sent_ns.assign(static_cast<std::size_t>(o.window), 0);
    riders.push_back(std::move(r));
  }
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      const int ep = ::epoll_create1(0);
      std::vector<Rider*> mine;
      for (std::size_t i = static_cast<std::size_t>(t); i < riders.size();
           i += static_cast<std::size_t>(o.threads)) {
        mine.push_back(riders[i].get());
      }
      std::string out;
      const auto send_query = [&](Rider& r) {
        char text[128];
        const std::uint64_t id = r.next_id++;
        const int n = std::snprintf(text, sizeof text,
                                    "{\"op\":\"nearby\",\"id\":%llu,\"lat\":%.6f,\"lng\":%.6f,\"k\":%d}",
                                    static_cast<unsigned long long>(id), r.lat, r.lng, o.k);
        append_frame(out, std::string_view(text, static_cast<std::size_t>(n)));
        r.sent_ns[id % r.sent_ns.size()] = now_ns();
      };
      for (Rider* r : mine) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = r;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev);
        out.clear();
        for (int w = 0; w < o.window; ++w) {
          send_query(*r);
        }
        write_all(r->fd, out.data(), out.size());
      }
      std::vector<std::uint64_t>& lat = latencies[static_cast<std::size_t>(t)];
      epoll_event events[64];
      char buf[1 << 16];
      while (!stop.load(std::memory_order_relaxed)) {
        const int n = ::epoll_wait(ep, events, 64, 100);
        for (int e = 0; e < n; ++e) {
          Rider& r = *static_cast<Rider*>(events[e].data.ptr);
          const ssize_t got = ::read(r.fd, buf, sizeof buf);
          if (got <= 0) {
            continue;
          }
          r.reader.buffer.append(buf, static_cast<std::size_t>(got));
          out.clear();
          std::string_view payload;
          const bool counting = measuring.load(std::memory_order_relaxed);
          while (r.reader.next(payload)) {
            const auto id_at = payload.find("\"id\":");
            if (payload.find("\"op\":\"nearby\"") == std::string_view::npos ||
                id_at == std::string_view::npos) {
              errors.fetch_add(1, std::memory_order_relaxed);
              continue;
            }
            const std::uint64_t id = std::strtoull(payload.data() + id_at + 5, nullptr, 10);
            if (counting) {
              lat.push_back(now_ns() - r.sent_ns[id % r.sent_ns.size()]);
              replies.fetch_add(1, std::memory_order_relaxed);
              if (payload.find("\"driver\"") == std::string_view::npos) {
                empty.fetch_add(1, std::memory_order_relaxed);
              }
            }
            send_query(r);
          }
          r.reader.compact();
          if (!out.empty()) {
            write_all(r.fd, out.data(), out.size());
          }
        }
      }
      ::close(ep);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& th : threads) {
    th.join();
  }
  std::vector<std::uint64_t> all;
  for (auto& v : latencies) {
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  const auto pct = [&](double q) {
    return all.empty() ? 0.0
                       : static_cast<double>(all[std::min(all.size() - 1,
                                                          static_cast<std::size_t>(q * all.size()))]) /
                             1000.0;
  };
  std::printf("nearby: k=%d, %d rider connections x window %d: %llu replies in %.2f s = %.0f "
              "queries/s; latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; "
              "errors %llu, empty answers %llu\n",
              o.k, o.conns, o.window, static_cast<unsigned long long>(replies.load()), elapsed,
              static_cast<double>(replies.load()) / elapsed, pct(0.5), pct(0.99), pct(0.999),
              all.empty() ? 0.0 : static_cast<double>(all.back()) / 1000.0,
              static_cast<unsigned long long>(errors.load()),
              static_cast<unsigned long long>(empty.load()));
  for (auto& r : riders) {
    ::close(r->fd);
  }
  for (int fd : drivers) {
    ::close(fd);
  }
  return errors.load() == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: dispatch_ws_load loc|nearby --port P [--conns N] [--threads T] "
                         "[--seconds S] [--drivers D] [--window W] [--k K] [--spread-deg X] [--rate R]\n");
    return 2;
  }
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--port") o.port = std::atoi(v);
    else if (flag == "--conns") o.conns = std::atoi(v);
    else if (flag == "--threads") o.threads = std::atoi(v);
    else if (flag == "--seconds") o.seconds = std::atof(v);
    else if (flag == "--drivers") o.drivers = std::atoi(v);
    else if (flag == "--window") o.window = std::atoi(v);
    else if (flag == "--k") o.k = std::atoi(v);
    else if (flag == "--spread-deg") o.spread_deg = std::atof(v);
    else if (flag == "--rate") o.rate = std::atof(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    if (o.mode == "loc") {
      return run_loc(o);
    }
    if (o.mode == "nearby") {
      return run_nearby(o);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dispatch_ws_load: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "mode must be loc or nearby\n");
  return 2;
}
