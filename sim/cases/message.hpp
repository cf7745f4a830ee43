// The body of a model's message: words and integers separated by spaces ("put 17 3 ..."), written
// with MessageWriter and read back with MessageReader. Readable in a live engine's traffic and in
// test failures, cheap to build, and the same in both transports. A malformed body never crashes
// the reader: it reports failure and the model drops the message.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hexwire::sim::cases {

class MessageWriter {
 public:
  MessageWriter& word(std::string_view w) {
    separate();
    text_ += w;
    return *this;
  }
  MessageWriter& number(std::uint64_t n) {
    separate();
    char buffer[24];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, n);
    text_.append(buffer, end);
    return *this;
  }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] std::string take() noexcept { return std::move(text_); }

 private:
  void separate() {
    if (!text_.empty()) {
      text_.push_back(' ');
    }
  }
  std::string text_;
};

class MessageReader {
 public:
  explicit MessageReader(std::string_view text) noexcept : rest_(text) {}

  /// The next space-separated word; empty at the end (and marks the reader failed).
  std::string_view word() noexcept {
    while (!rest_.empty() && rest_.front() == ' ') {
      rest_.remove_prefix(1);
    }
    const std::size_t end = rest_.find(' ');
    const std::string_view w = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    if (w.empty()) {
      ok_ = false;
    }
    return w;
  }
  /// The next word as an unsigned integer; 0 and failure when it is not one.
  std::uint64_t number() noexcept {
    const std::string_view w = word();
    std::uint64_t n = 0;
    const auto [end, error] = std::from_chars(w.data(), w.data() + w.size(), n);
    if (error != std::errc{} || end != w.data() + w.size()) {
      ok_ = false;
      return 0;
    }
    return n;
  }
  /// False once any read failed.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] bool at_end() const noexcept { return rest_.find_first_not_of(' ') == std::string_view::npos; }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace hexwire::sim::cases
