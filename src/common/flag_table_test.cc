#include "common/flag_table.h"

#include <gtest/gtest.h>

namespace chatd {
namespace {

struct Settings {
  uint32_t count = 7;
  std::size_t size = 0;
  Nanos wait = 0;
  std::string name;
  bool loud = false;
  int color = 0;
};

const FlagTable<Settings>& table() {
  using F = Flag<Settings>;
  static const FlagTable<Settings> t = {
      F::heading("Numbers:"),
      F::value("--count", "N", "how many [7]", uint_value(&Settings::count, 1, 100)),
      F::value("--size", "SIZE", "how big,\nin bytes", size_value(&Settings::size, 16)),
      F::value("--wait", "DUR", "how long", duration_value(&Settings::wait, kMillis)),
      F::heading(""),
      F::value("--name", "TEXT", "what", string_value(&Settings::name, false)),
      F::value("--color", "C", "which", choice_value(&Settings::color, {{"red", 1}, {"green", 2}})),
      F::toggle("--loud", "shout", set_true(&Settings::loud)),
      F::help_flag("-h", "this text", true),
      F::version_flag("-V", "the version"),
  };
  return t;
}

Result<CliAction> parse(std::vector<std::string> args, Settings& s) { return parse_flags(table(), args, s); }

std::string error_of(std::vector<std::string> args) {
  Settings s;
  auto r = parse(std::move(args), s);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(FlagTable, ParsesBothSpellingsAndKeepsDefaults) {
  Settings s;
  auto r = parse({"--count", "12", "--size=4K", "--wait", "250ms", "--name=x=y", "--color", "green", "--loud"}, s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, CliAction::run);
  EXPECT_EQ(s.count, 12u);
  EXPECT_EQ(s.size, 4096u);
  EXPECT_EQ(s.wait, 250 * kMillis);
  EXPECT_EQ(s.name, "x=y") << "only the first '=' separates the value";
  EXPECT_EQ(s.color, 2);
  EXPECT_TRUE(s.loud);

  Settings d;
  ASSERT_TRUE(parse({}, d).ok());
  EXPECT_EQ(d.count, 7u);
  EXPECT_FALSE(d.loud);
}

TEST(FlagTable, ALaterFlagOverridesAnEarlierOne) {
  Settings s;
  ASSERT_TRUE(parse({"--count", "3", "--count=4"}, s).ok());
  EXPECT_EQ(s.count, 4u);
}

TEST(FlagTable, HelpAndVersionStopParsing) {
  Settings s;
  EXPECT_EQ(*parse({"--count", "2", "--help", "--bogus"}, s), CliAction::help);
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(*parse({"-h"}, s), CliAction::help);
  EXPECT_EQ(*parse({"--version"}, s), CliAction::version);
  EXPECT_EQ(*parse({"-V"}, s), CliAction::version);
}

TEST(FlagTable, ErrorsNameTheFlagAndTheProblem) {
  EXPECT_EQ(error_of({"--bogus", "1"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(error_of({"positional"}), "unknown option 'positional' (see --help)");
  EXPECT_EQ(error_of({"Numbers:"}), "unknown option 'Numbers:' (see --help)") << "a heading is not a flag";
  EXPECT_EQ(error_of({"--count"}), "option --count needs a value");
  EXPECT_EQ(error_of({"--count", "0"}), "option --count: '0' is below the minimum 1");
  EXPECT_EQ(error_of({"--count", "101"}), "option --count: '101' is too large (max 100)");
  EXPECT_EQ(error_of({"--count", "-1"}), "option --count: '-1' is not a non-negative integer");
  EXPECT_EQ(error_of({"--count", "99999999999999999999999"}),
            "option --count: '99999999999999999999999' is too large (max 100)");
  EXPECT_EQ(error_of({"--size", "8"}), "option --size: '8' is below the minimum 16 bytes");
  EXPECT_EQ(error_of({"--size", "1.5M"}), "option --size: '1.5M' is not a size (bytes, or with K, M, G)");
  EXPECT_EQ(error_of({"--wait", "10us"}), "option --wait: '10us' is too short");
  EXPECT_EQ(error_of({"--wait", "1h"}), "option --wait: '1h' has an unknown unit (use ms, s or m)");
  EXPECT_EQ(error_of({"--name="}), "option --name: needs a non-empty value");
  EXPECT_EQ(error_of({"--color", "blue"}), "option --color: 'blue' is not one of red, green");
  EXPECT_EQ(error_of({"--loud=yes"}), "option --loud takes no value");
  EXPECT_EQ(error_of({"--help=1"}), "option --help takes no value");
}

TEST(FlagTable, UsageIsGeneratedFromTheTable) {
  EXPECT_EQ(flag_usage(table(), 14),
            "\n"
            "Numbers:\n"
            "  --count N   how many [7]\n"
            "  --size SIZE how big,\n"
            "              in bytes\n"
            "  --wait DUR  how long\n"
            "\n"
            "  --name TEXT what\n"
            "  --color C   which\n"
            "  --loud      shout\n"
            "  -h, --help  this text\n"
            "  --version   the version\n");
}

TEST(FlagTable, ANameLongerThanTheColumnKeepsOneSpace) {
  const std::string usage = flag_usage(table(), 4);
  EXPECT_NE(usage.find("\n  --count N how many [7]\n"), std::string::npos) << usage;
  EXPECT_NE(usage.find("\n  --size SIZE how big,\n    in bytes\n"), std::string::npos) << usage;
}

TEST(FlagValues, SizesAndDurations) {
  EXPECT_EQ(*parse_size("64k"), 65536u);
  EXPECT_EQ(*parse_size("1G"), std::size_t(1) << 30);
  EXPECT_FALSE(parse_size("2048G").ok()) << "over 1 TiB";
  EXPECT_FALSE(parse_size("K").ok());
  EXPECT_EQ(*parse_duration("0.5s"), 500 * kMillis);
  EXPECT_EQ(*parse_duration("3"), 3 * kSeconds);
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_FALSE(parse_duration("1e12m").ok()) << "too long";
}

}  // namespace
}  // namespace chatd
