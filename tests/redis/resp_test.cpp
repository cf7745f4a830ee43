// RESP encoding, the cluster key slot (against values Redis itself documents and computes),
// incremental reply parsing, and --redis URL parsing. No server needed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "redis/resp.hpp"
#include "redis/script.hpp"
#include "redis/target.hpp"

using namespace hexwire::redis;

TEST_CASE("commands are encoded as RESP arrays of bulk strings - any bytes allowed") {
  const auto bytes = encode_command({"SET", "k", std::string_view("a\0\r\nb", 5)});
  CHECK(bytes.view() == std::string_view("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n", 31));
  CHECK(encode_command({"PING"}).view() == "*1\r\n$4\r\nPING\r\n");
  CHECK(encode_command({""}).view() == "*1\r\n$0\r\n\r\n");
  const std::string big(12345, 'x');
  const auto long_arg = encode_command({big});
  CHECK(long_arg.view().starts_with("*1\r\n$12345\r\nxxx"));
  CHECK(long_arg.size() == 4 + 8 + 12345 + 2);
}

TEST_CASE("key slots match Redis Cluster's CRC16 and hash tags") {
  // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
  CHECK(key_slot("123456789") == (0x31C3 & 16383));
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("bar") == 5061);
  CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  CHECK(key_slot("foo{}{bar}") == key_slot("foo{}{bar}"));  // empty tag: the whole key hashes
  CHECK(key_slot("foo{}{bar}") != key_slot("bar"));
  CHECK(key_slot("foo{{bar}}zap") == key_slot("{bar"));
  CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
  CHECK(key_slot("hw:{general}:s") == key_slot("hw:{general}:m"));
}

TEST_CASE("the reader assembles replies fed byte by byte and reports garbage") {
  ReplyReader reader;
  const std::string wire =
      "+OK\r\n:42\r\n$5\r\nhello\r\n*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$-1\r\n-ERR boom\r\n";
  std::vector<std::string> seen;
  for (char c : wire) {
    REQUIRE(reader.feed(std::as_bytes(std::span<const char>(&c, 1))));
    Reply reply;
    while (reader.next(&reply) == ReplyReader::Next::kReply) {
      seen.push_back(reply.view().describe());
      if (reply.view().is_array()) {
        CHECK(reply[0].str() == "message");
        CHECK(reply[2].is_nil());
        CHECK(reply[7].is_nil());  // out of range reads as nil
      }
    }
  }
  CHECK(seen == std::vector<std::string>{"status \"OK\"", "integer 42", "string \"hello\"",
                                         "array[3]", "error \"ERR boom\""});
  ReplyReader broken;
  const std::string garbage = "?what\r\n";
  broken.feed(std::as_bytes(std::span<const char>(garbage.data(), garbage.size())));
  Reply reply;
  CHECK(broken.next(&reply) == ReplyReader::Next::kError);
  CHECK_FALSE(broken.error().empty());
}

TEST_CASE("integers read from integer and decimal string replies only") {
  ReplyReader reader;
  const std::string wire = "$3\r\n-17\r\n$3\r\n1x2\r\n";
  reader.feed(std::as_bytes(std::span<const char>(wire.data(), wire.size())));
  Reply a;
  Reply b;
  REQUIRE(reader.next(&a) == ReplyReader::Next::kReply);
  REQUIRE(reader.next(&b) == ReplyReader::Next::kReply);
  CHECK(a.view().integer(0) == -17);
  CHECK(b.view().integer(99) == 99);
}

TEST_CASE("Redis URLs - one server or a cluster - with clear errors") {
  Target one = parse_target("redis://127.0.0.1:6380");
  CHECK_FALSE(one.cluster);
  REQUIRE(one.seeds.size() == 1);
  CHECK(one.seeds[0].to_string() == "127.0.0.1:6380");
  CHECK(parse_target("redis://localhost").seeds[0].to_string() == "127.0.0.1:6379");
  Target cluster = parse_target("redis+cluster://:s3cret@127.0.0.1:7000,127.0.0.1:7001/");
  CHECK(cluster.cluster);
  CHECK(cluster.password == "s3cret");
  CHECK(cluster.seeds.size() == 2);
  CHECK(describe(cluster) == "redis+cluster://:***@127.0.0.1:7000,127.0.0.1:7001");
  CHECK_THROWS_WITH(parse_target("http://x"), Catch::Contains("unknown scheme"));
  CHECK_THROWS_WITH(parse_target("redis://127.0.0.1:0"), Catch::Contains("1..65535"));
  CHECK_THROWS_WITH(parse_target("redis://redis.example.com"), Catch::Contains("numeric"));
  CHECK_THROWS_WITH(parse_target("redis://127.0.0.1:1,127.0.0.1:2"),
                    Catch::Contains("redis+cluster://"));
  CHECK_THROWS_WITH(parse_target("redis://127.0.0.1/2"), Catch::Contains("database"));
  CHECK_THROWS_WITH(parse_target("redis://user:pw@127.0.0.1"), Catch::Contains(":password@"));
}

TEST_CASE("scripts are named by the SHA1 Redis gives them") {
  // SHA1("return 1"), as `SCRIPT LOAD "return 1"` answers.
  CHECK(Script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}
