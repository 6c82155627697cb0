#include "loadgen/cli/interactive_command.h"

#include <gtest/gtest.h>

namespace chatd::loadgen {
namespace {

using Kind = InteractiveCommand::Kind;

TEST(InteractiveCommand, Verbs) {
  EXPECT_EQ(parse_interactive_command("spawn 5")->kind, Kind::spawn);
  EXPECT_EQ(parse_interactive_command("spawn 5")->count, 5u);
  auto b = parse_interactive_command("  broadcast hello  world 3\r");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->kind, Kind::broadcast);
  EXPECT_EQ(b->text, "hello  world");
  EXPECT_EQ(b->count, 3u);
  EXPECT_EQ(parse_interactive_command("whisper 2")->count, 2u);
  EXPECT_EQ(parse_interactive_command("summary")->kind, Kind::summary);
  EXPECT_EQ(parse_interactive_command("closeAll")->kind, Kind::close_all);
  EXPECT_EQ(parse_interactive_command("help")->kind, Kind::help);
  EXPECT_EQ(parse_interactive_command("exit")->kind, Kind::exit);
  EXPECT_EQ(parse_interactive_command("quit")->kind, Kind::exit);
  EXPECT_EQ(parse_interactive_command("   ")->kind, Kind::nothing);
}

TEST(InteractiveCommand, Mistakes) {
  EXPECT_FALSE(parse_interactive_command("spawn").ok());
  EXPECT_FALSE(parse_interactive_command("spawn 0").ok());
  EXPECT_FALSE(parse_interactive_command("spawn five").ok());
  EXPECT_FALSE(parse_interactive_command("spawn 5 6").ok());
  EXPECT_FALSE(parse_interactive_command("broadcast 3").ok());
  EXPECT_FALSE(parse_interactive_command("broadcast hi").ok());
  EXPECT_FALSE(parse_interactive_command("summary now").ok());
  auto unknown = parse_interactive_command("launch 5");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("help"), std::string::npos);
}

}  // namespace
}  // namespace chatd::loadgen
