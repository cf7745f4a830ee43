// Delivery verification: a clean run passes; each anomaly (loss, duplicate, reorder, unmatched
// receipt, unacked publish) is detected and counted; subscriptions that start or end mid-run are
// judged only on their own window; memory stays bounded by the ledger window.
#include "sim/verifier.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hexwire::sim;

namespace {

// A tiny in-memory "engine": assigns channel seqs and delivers to the current subscribers,
// letting a test tamper with individual deliveries.
struct FakeChannel {
  std::uint64_t seq = 0;
  std::vector<std::uint32_t> subscribers;
};

struct Publication {
  PublishKey key;
  std::uint64_t seq;
};

Publication publish(Verifier& v, FakeChannel& channel, std::uint32_t channel_id,
                    std::uint32_t publisher, std::uint64_t publish_id) {
  const PublishKey key{publisher, publish_id};
  v.on_publish_sent(key, channel_id);
  const std::uint64_t seq = ++channel.seq;
  v.on_ack(key, channel_id, seq);
  return {key, seq};
}

/// `s` merged twice into an empty summary, as two workers reporting the same counts.
VerificationSummary merged_twice(const VerificationSummary& s) {
  VerificationSummary merged;
  merge_into(merged, s);
  merge_into(merged, s);
  return merged;
}

}  // namespace

TEST_CASE("a clean run passes with every delivery accounted for") {
  Verifier v;
  FakeChannel general;
  general.subscribers = {1, 2, 3};
  for (auto r : general.subscribers) {
    v.on_subscribed(r, 0, 0);
  }
  for (std::uint64_t i = 1; i <= 100; ++i) {
    const Publication p = publish(v, general, 0, static_cast<std::uint32_t>(i % 3 + 1), i);
    for (auto r : general.subscribers) {
      CHECK(v.on_receive(r, 0, p.seq, p.key) == ReceiptVerdict::kInOrder);
    }
  }
  const VerificationSummary s = v.finish();
  CHECK(s.clean());
  CHECK(verification_exit_code(s) == 0);
  CHECK(s.publishes_sent == 100);
  CHECK(s.publishes_acked == 100);
  CHECK(s.publishes_registered_twice == 0);
  CHECK(s.deliveries_expected == 300);
  CHECK(s.deliveries_received == 300);
  CHECK(s.receipts == 300);
  CHECK(s.describe().find("OK") != std::string::npos);
}

TEST_CASE("receipts may arrive before the publisher's ack") {
  Verifier v;
  v.on_subscribed(7, 1, 10);
  const PublishKey key{3, 1};
  v.on_publish_sent(key, 1);
  CHECK(v.on_receive(7, 1, 11, key) == ReceiptVerdict::kInOrder);
  v.on_ack(key, 1, 11);
  const VerificationSummary s = v.finish();
  CHECK(s.clean());
  CHECK(s.deliveries_received == 1);
}

TEST_CASE("a missing message is lost, in the middle and at the tail") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  v.on_subscribed(2, 0, 0);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const Publication p = publish(v, c, 0, 9, i);
    if (i != 3) {
      v.on_receive(1, 0, p.seq, p.key);
    }
    if (i != 5) {
      v.on_receive(2, 0, p.seq, p.key);  // receiver 2 misses the last one (tail loss)
    }
  }
  const VerificationSummary s = v.finish();
  CHECK(s.lost == 2);
  CHECK(s.deliveries_expected == 10);
  CHECK(s.deliveries_received == 8);
  CHECK_FALSE(s.clean());
  CHECK(verification_exit_code(s) == kVerifyFailedExitCode);
}

TEST_CASE("a message delivered twice is a duplicate") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  const Publication p1 = publish(v, c, 0, 9, 1);
  const Publication p2 = publish(v, c, 0, 9, 2);
  CHECK(v.on_receive(1, 0, p1.seq, p1.key) == ReceiptVerdict::kInOrder);
  CHECK(v.on_receive(1, 0, p2.seq, p2.key) == ReceiptVerdict::kInOrder);
  CHECK(v.on_receive(1, 0, p1.seq, p1.key) == ReceiptVerdict::kDuplicate);
  const VerificationSummary s = v.finish();
  CHECK(s.duplicated == 1);
  CHECK(s.lost == 0);
  CHECK(s.deliveries_received == 2);
  CHECK_FALSE(s.clean());
}

TEST_CASE("a message that arrives after a later one is reordered, not lost") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  std::vector<Publication> ps;
  for (std::uint64_t i = 1; i <= 4; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
  }
  CHECK(v.on_receive(1, 0, 1, ps[0].key) == ReceiptVerdict::kInOrder);
  CHECK(v.on_receive(1, 0, 3, ps[2].key) == ReceiptVerdict::kGap);
  CHECK(v.on_receive(1, 0, 4, ps[3].key) == ReceiptVerdict::kInOrder);
  CHECK(v.on_receive(1, 0, 2, ps[1].key) == ReceiptVerdict::kReordered);
  const VerificationSummary s = v.finish();
  CHECK(s.reordered == 1);
  CHECK(s.lost == 0);
  CHECK(s.duplicated == 0);
  CHECK(s.deliveries_received == 4);
  CHECK_FALSE(s.clean());
}

TEST_CASE("gaps split and refill correctly") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  std::vector<Publication> ps;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
  }
  v.on_receive(1, 0, 1, ps[0].key);
  v.on_receive(1, 0, 10, ps[9].key);                                      // gap 2..9
  CHECK(v.on_receive(1, 0, 5, ps[4].key) == ReceiptVerdict::kReordered);  // splits 2..4, 6..9
  CHECK(v.on_receive(1, 0, 5, ps[4].key) == ReceiptVerdict::kDuplicate);
  CHECK(v.on_receive(1, 0, 2, ps[1].key) == ReceiptVerdict::kReordered);
  CHECK(v.on_receive(1, 0, 9, ps[8].key) == ReceiptVerdict::kReordered);
  const VerificationSummary s = v.finish();
  CHECK(s.reordered == 3);
  CHECK(s.duplicated == 1);
  CHECK(s.lost == 5);  // 3, 4, 6, 7, 8
}

TEST_CASE("unmatched receipts and acks are detected") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  SECTION("delivery to a connection that never subscribed") {
    const Publication p = publish(v, c, 0, 9, 1);
    v.on_receive(1, 0, p.seq, p.key);
    CHECK(v.on_receive(42, 0, p.seq, p.key) == ReceiptVerdict::kUnmatched);
    CHECK(v.finish().unmatched == 1);
  }
  SECTION("a receipt whose data belongs to another seq's publish") {
    const Publication p1 = publish(v, c, 0, 9, 1);
    const Publication p2 = publish(v, c, 0, 9, 2);
    v.on_receive(1, 0, p1.seq, p1.key);
    CHECK(v.on_receive(1, 0, p2.seq, p1.key) == ReceiptVerdict::kUnmatched);
    CHECK(v.finish().unmatched == 1);
  }
  SECTION("a receipt of something nobody published") {
    CHECK(v.on_receive(1, 0, 1, PublishKey{5, 5}) == ReceiptVerdict::kUnmatched);
    const VerificationSummary s = v.finish();
    CHECK(s.unmatched == 1);
    CHECK_FALSE(s.clean());
  }
  SECTION("an ack for a publish we never sent") {
    v.on_ack(PublishKey{5, 5}, 0, 1);
    CHECK(v.finish().unmatched == 1);
  }
}

TEST_CASE("a publish that is never acked fails the run") {
  Verifier v;
  v.on_subscribed(1, 0, 0);
  v.on_publish_sent(PublishKey{2, 1}, 0);
  const VerificationSummary s = v.finish();
  CHECK(s.publishes_unacked == 1);
  CHECK_FALSE(s.clean());
}

TEST_CASE("a publish key registered twice (a send counted that did not go out) fails the run") {
  Verifier v;
  v.on_subscribed(1, 0, 0);
  const PublishKey key{7, 1};
  v.on_publish_sent(key, 0);  // registered, but the send was refused...
  v.on_publish_sent(key, 0);  // ...and the same publish number went out later
  v.on_ack(key, 0, 1);
  CHECK(v.on_receive(1, 0, 1, key) == ReceiptVerdict::kInOrder);
  const VerificationSummary s = v.finish();
  CHECK(s.publishes_sent == 2);
  CHECK(s.publishes_acked == 1);
  CHECK(s.publishes_unacked == 0);
  CHECK(s.publishes_registered_twice == 1);
  CHECK_FALSE(s.clean());
  CHECK(s.describe().find("registered twice 1") != std::string::npos);
  CHECK(merged_twice(s).publishes_registered_twice == 2);
}

TEST_CASE("a publish whose connection died before its ack is in doubt: taken or not, not a failure") {
  Verifier v;
  v.on_subscribed(1, 0, 0);
  v.on_subscribed(2, 0, 0);
  const PublishKey taken{5, 1};
  const PublishKey dropped{5, 2};
  v.on_publish_sent(taken, 0);
  v.on_publish_sent(dropped, 0);
  // The node died: neither ack comes. The engine had taken the first (subscriber 1 has it).
  CHECK(v.on_receive(1, 0, 1, taken) == ReceiptVerdict::kInOrder);
  v.on_publish_in_doubt(taken);
  v.on_publish_in_doubt(dropped);
  v.on_publish_in_doubt(dropped);  // counted once
  SECTION("every subscriber gets the one that was taken: clean") {
    CHECK(v.on_receive(2, 0, 1, taken) == ReceiptVerdict::kInOrder);
    const VerificationSummary s = v.finish();
    CHECK(s.clean());
    CHECK(s.publishes_in_doubt == 2);
    CHECK(s.publishes_unacked == 0);
    CHECK(s.deliveries_received == 2);
    CHECK(s.describe().find("in doubt 2") != std::string::npos);
  }
  SECTION("a subscriber that misses the one that was taken: lost") {
    const VerificationSummary s = v.finish();
    CHECK(s.lost == 1);
    CHECK_FALSE(s.clean());
  }
}

TEST_CASE("subscribers that join or leave mid-run are judged on their own window") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  std::vector<Publication> ps;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
    v.on_receive(1, 0, ps.back().seq, ps.back().key);
  }
  // Receiver 2 joins after seq 3 (its subbed reply says seq 3): it owes nothing before 4.
  v.on_subscribed(2, 0, 3);
  for (std::uint64_t i = 4; i <= 6; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
    v.on_receive(1, 0, ps.back().seq, ps.back().key);
    v.on_receive(2, 0, ps.back().seq, ps.back().key);
  }
  // Receiver 1 leaves after 6; a message already in flight to it is ignored, not unmatched.
  v.on_unsubscribing(1, 0);
  ps.push_back(publish(v, c, 0, 9, 7));
  CHECK(v.on_receive(1, 0, 7, ps.back().key) == ReceiptVerdict::kIgnored);
  v.on_receive(2, 0, 7, ps.back().key);
  // A replay of an old seq to the late joiner is a duplicate (the protocol promises none).
  CHECK(v.on_receive(2, 0, 2, ps[1].key) == ReceiptVerdict::kDuplicate);

  const VerificationSummary s = v.finish();
  CHECK(s.lost == 0);
  CHECK(s.ignored == 1);
  CHECK(s.duplicated == 1);
  // Expected: seqs 1-3 -> receiver 1 (3), 4-6 -> both (6), 7 -> receiver 2 (1).
  CHECK(s.deliveries_expected == 10);
  CHECK(s.deliveries_received == 10);
  CHECK(s.subscriptions == 2);
}

TEST_CASE("gaps below an unsubscribe are lost, a resume with since owes the missed messages") {
  Verifier v;
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  std::vector<Publication> ps;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
  }
  v.on_receive(1, 0, 1, ps[0].key);
  v.on_receive(1, 0, 3, ps[2].key);
  v.on_unsubscribing(1, 0);  // seq 2 never came
  // Reconnect with since=3, recovered: 4 and 5 must come now.
  v.on_subscribed(1, 0, 3);
  CHECK(v.on_receive(1, 0, 4, ps[3].key) == ReceiptVerdict::kInOrder);
  const VerificationSummary s = v.finish();
  CHECK(s.lost == 2);  // seq 2 (first window) and seq 5 (tail of the second)
}

TEST_CASE("the ledger settles old seqs so memory stays bounded, and counts stay exact") {
  VerifierOptions options;
  options.ledger_window = 16;
  Verifier v(options);
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  v.on_subscribed(2, 0, 0);
  for (std::uint64_t i = 1; i <= 10'000; ++i) {
    const Publication p = publish(v, c, 0, 9, i);
    v.on_receive(1, 0, p.seq, p.key);
    if (i % 1000 != 0) {
      v.on_receive(2, 0, p.seq, p.key);
    }
  }
  // Settled as the window slides: all but the last 16 seqs are already counted.
  CHECK(v.summary().deliveries_expected == 2 * (10'000 - 16));
  const VerificationSummary s = v.finish();
  CHECK(s.deliveries_expected == 20'000);
  CHECK(s.deliveries_received == 20'000 - 10);
  CHECK(s.lost == 10);
}

TEST_CASE("gap memory is bounded per subscription") {
  VerifierOptions options;
  options.max_gap_ranges = 4;
  Verifier v(options);
  FakeChannel c;
  v.on_subscribed(1, 0, 0);
  std::vector<Publication> ps;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    ps.push_back(publish(v, c, 0, 9, i));
  }
  for (std::uint64_t seq = 2; seq <= 20; seq += 2) {  // every odd seq missing: 10 gaps
    v.on_receive(1, 0, seq, ps[seq - 1].key);
  }
  CHECK(v.summary().lost == 6);  // six oldest gaps given up on already
  CHECK(v.on_receive(1, 0, 1, ps[0].key) == ReceiptVerdict::kLate);
  CHECK(v.on_receive(1, 0, 19, ps[18].key) == ReceiptVerdict::kReordered);
  const VerificationSummary s = v.finish();
  CHECK(s.lost == 9);
  CHECK(s.late == 1);
}

TEST_CASE("echo verification: in-order replies pass, each anomaly is counted") {
  EchoVerifier v;
  for (std::uint64_t n = 1; n <= 5; ++n) {
    v.on_sent(1, n);
    v.on_sent(2, n);
  }
  for (std::uint64_t n = 1; n <= 5; ++n) {
    CHECK(v.on_reply(1, Probe{0, 1, n}) == ReceiptVerdict::kInOrder);
  }
  CHECK(v.on_reply(2, Probe{0, 2, 1}) == ReceiptVerdict::kInOrder);
  CHECK(v.on_reply(2, Probe{0, 2, 3}) == ReceiptVerdict::kGap);  // 2 lost
  CHECK(v.on_reply(2, Probe{0, 2, 3}) == ReceiptVerdict::kDuplicate);
  CHECK(v.on_reply(2, std::nullopt) == ReceiptVerdict::kUnmatched);    // corrupt payload
  CHECK(v.on_reply(2, Probe{0, 1, 4}) == ReceiptVerdict::kUnmatched);  // another connection's
  CHECK(v.on_reply(2, Probe{0, 2, 9}) == ReceiptVerdict::kUnmatched);  // never sent
  const VerificationSummary s = v.finish();
  CHECK(s.lost == 1 + 2);  // 2, then 4 and 5 never came back
  CHECK(s.duplicated == 1);
  CHECK(s.unmatched == 3);
  CHECK(s.deliveries_expected == 10);
  CHECK(s.deliveries_received == 7);
  CHECK_FALSE(s.clean());

  EchoVerifier clean;
  clean.on_sent(0, 1);
  clean.on_reply(0, Probe{5, 0, 1});
  VerificationSummary total = clean.finish();
  CHECK(total.clean());
  merge_into(total, s);
  CHECK(total.lost == 3);
  CHECK(total.publishes_sent == 11);
  CHECK_FALSE(total.clean());
}

TEST_CASE("windows stay exact when subscriptions come and go while the ledger slides") {
  VerifierOptions options;
  options.ledger_window = 4;
  Verifier v(options);
  FakeChannel c;
  const auto round = [&](std::uint64_t from, std::uint64_t to, std::vector<std::uint32_t> to_whom) {
    for (std::uint64_t i = from; i <= to; ++i) {
      const Publication p = publish(v, c, 0, 9, i);
      for (const auto r : to_whom) {
        REQUIRE(v.on_receive(r, 0, p.seq, p.key) == ReceiptVerdict::kInOrder);
      }
    }
  };
  v.on_subscribed(1, 0, 0);
  round(1, 10, {1});
  v.on_subscribed(2, 0, 10);  // joins after seqs up to 6 are settled
  round(11, 20, {1, 2});
  v.on_unsubscribing(1, 0);
  v.on_subscribed(3, 0, 20);
  round(21, 30, {2, 3});
  v.on_unsubscribing(3, 0);
  v.on_subscribed(3, 0, 30);  // and back again
  round(31, 35, {2, 3});
  const VerificationSummary s = v.finish();
  CHECK(s.clean());
  CHECK(s.deliveries_expected == 20 + 25 + 15);
  CHECK(s.deliveries_received == 60);
  CHECK(s.subscriptions == 4);
}

TEST_CASE("recovered:false fails verification only within the history the engine keeps") {
  VerifierOptions options;
  options.history_keep_messages = 100;
  Verifier v(options);
  CHECK_FALSE(v.on_not_recovered(50, 150));  // missed exactly 100: the engine promised them
  CHECK_FALSE(v.on_not_recovered(0, 1));
  CHECK(v.on_not_recovered(50, 151));  // missed 101: a reload is the right answer
  CHECK(v.on_not_recovered(0, 1'000'000));
  const VerificationSummary s = v.finish();
  CHECK(s.unrecovered == 2);
  CHECK(s.reloads == 2);
  CHECK_FALSE(s.clean());
  CHECK(s.describe().find("unrecovered resumes 2") != std::string::npos);
  const VerificationSummary merged = merged_twice(s);
  CHECK(merged.unrecovered == 4);
  CHECK(merged.reloads == 4);
}

TEST_CASE("recovered:false after the channel's epoch changed is a new incarnation, not a loss") {
  VerifierOptions options;
  options.history_keep_messages = 100;
  Verifier v(options);
  // The engine restarted: the channel is at seq 3 of a new epoch, the client resumes from 50 of
  // the old one. Nothing of the old epoch can be replayed; the client reloads.
  CHECK(v.on_not_recovered(50, 3, /*epoch_changed=*/true));
  CHECK_FALSE(v.on_not_recovered(50, 60, /*epoch_changed=*/false));  // same epoch: promised
  const VerificationSummary s = v.finish();
  CHECK(s.new_epochs == 1);
  CHECK(s.unrecovered == 1);
  CHECK(s.reloads == 0);
  CHECK(s.describe().find("new epochs 1") != std::string::npos);
}
