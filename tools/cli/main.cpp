// tinyprop: pretrain, fine-tune with sparse backpropagation, evaluate, inspect, export, and
// compare methods on the MNIST scenarios. Every error ends in one line on stderr,
// "tinyprop: error: ...", and a non-zero exit status; nothing is overwritten on error.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "cli_common.h"

namespace {

// One line: newlines inside a message (some library texts have them) become "; ".
int fail(const std::string& message, int status) {
  std::string line;
  for (char c : message) {
    if (c == '\n') {
      if (!line.empty() && line.back() != ' ') line += "; ";
    } else {
      line += c;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == ';')) line.pop_back();
  std::fflush(stdout);
  std::fprintf(stderr, "tinyprop: error: %s\n", line.c_str());
  return status;
}

// Every unsigned option (counts, sizes, seeds) takes digits only and at most 2^64 - 1: CLI11
// would read "-1" or "18446744073709551616" for a 64-bit option as 2^64 - 1. Narrower options
// get CLI11's own range check on top ("Could not convert: --batch = 99999999999").
std::string unsigned_number(std::string& value) {
  bool digits = !value.empty();
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (!digits) return "'" + value + "' is not a whole number >= 0";
  errno = 0;
  (void)std::strtoull(value.c_str(), nullptr, 10);
  if (errno == ERANGE) return "'" + value + "' is larger than 18446744073709551615";
  return "";
}

// Adds the unsigned check to every option of cmd and its subcommands whose type is unsigned.
void check_unsigned_options(CLI::App* cmd) {
  const CLI::Validator whole(unsigned_number, "UINT");
  for (CLI::Option* o : cmd->get_options()) {
    if (o->get_type_name() == "UINT") o->check(whole);
  }
  for (CLI::App* sub : cmd->get_subcommands({})) check_unsigned_options(sub);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tinyprop::cli;
  const Invocation inv{argc, argv};
  CLI::App app{"tinyprop: training on microcontrollers with adaptive sparse backpropagation"};
  app.name("tinyprop");
  app.set_version_flag("--version", "tinyprop 0.1.0");
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();

  try {
    std::vector<std::pair<CLI::App*, Action>> commands;
    auto add = [&](Action (*adder)(CLI::App&, const Invocation&)) {
      const size_t before = app.get_subcommands({}).size();
      Action action = adder(app, inv);
      commands.emplace_back(app.get_subcommands({})[before], std::move(action));
    };
    add(&add_train);
    add(&add_finetune);
    add(&add_eval);
    add(&add_info);
    add(&add_export);
    add(&add_import);
    add(&add_compare);
    check_unsigned_options(&app);

    // CLI11 only says "A subcommand is required" for a misspelt command: name it instead.
    if (argc > 1 && argv[1][0] != '-') {
      bool known = false;
      for (auto& entry : commands) known = known || entry.first->get_name() == argv[1];
      if (!known) {
        return fail(std::string("unknown command '") + argv[1] +
                        "' (expected train, finetune, eval, info, export, import or compare)",
                    2);
      }
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      return fail(e.what(), e.get_exit_code() != 0 ? e.get_exit_code() : 2);
    }
    for (auto& [cmd, action] : commands) {
      if (cmd->parsed()) return action();
    }
    return fail("no subcommand given (try --help)", 2);
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
