// QEMU TCG plugin: counts guest instructions executed inside marked windows and attributes them
// to training phases by function address.
//
//   qemu-system-arm ... -plugin libinsn_phases.so,map=<phases.map>,out=<counts.txt>
//
// The map file (written by scripts/mcu-phase-map.sh from arm-none-eabi-nm) has one line per
// function: "<start hex> <end hex> <kind>", end exclusive, kind one of
//   forward selection backward update other   the phase of this function's instructions
//   begin end                                 the marker functions tp_mark_step_begin / _end
// An instruction outside every listed function (newlib's memcpy, libgcc helpers, inlined
// helpers of unlisted functions) belongs to the phase of the last listed function that ran
// before it: such code is a leaf called from there, so it inherits its caller's phase.
//
// Counting is on between the entry of `begin` and the entry of `end` (one window per training
// sample); the markers' own instructions are not counted. Output (one "name value" per line):
// windows, total (every instruction of the whole run), and the count of each phase.
// With blocks=FILE it also writes a profile: one line "<block start hex> <instructions>
// <executions inside windows>" per translated block that ran inside a window
// (scripts/mcu-profile.py sums it per function).
//
// Translation-block callbacks: at translation the plugin splits each block into runs of one
// kind; at execution it adds the runs' lengths. A block is executed whole unless an exception
// interrupts it, which the firmware does not do inside a window (no interrupts are enabled).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum Kind {
  kForward = 0,
  kSelection,
  kBackward,
  kUpdate,
  kOther,
  kPhaseCount,           // phases above; kinds below are not phases
  kBegin = kPhaseCount,  // marker: start a window
  kEnd,                  // marker: end a window
  kInherit,              // not in the map: the phase of the code that ran last
};

static const char* const kPhaseNames[kPhaseCount] = {"forward", "selection", "backward",
                                                     "update", "other"};

typedef struct {
  uint64_t start, end;  // [start, end)
  int kind;
} Range;

typedef struct BlockRuns {
  struct BlockRuns* next;  // every translated block, for the profile
  uint64_t vaddr;
  uint64_t execs;          // executions that started inside a window
  uint32_t n_insns;
  uint32_t n;
  struct {
    int32_t kind;
    uint32_t count;
  } run[];
} BlockRuns;

static Range* g_ranges;
static size_t g_n_ranges;
static char g_out_path[4096];
static char g_blocks_path[4096];
static BlockRuns* g_blocks;

// State of the single vCPU (the boards have one core; callbacks run on its thread).
static int g_active;
static int g_phase = kOther;
static uint64_t g_windows;
static uint64_t g_counts[kPhaseCount];
static uint64_t g_total;

static void* checked(void* p) {
  if (p == NULL) {
    fprintf(stderr, "insn_phases: out of memory\n");
    abort();
  }
  return p;
}

static int kind_of_name(const char* s) {
  for (int i = 0; i < kPhaseCount; ++i) {
    if (strcmp(s, kPhaseNames[i]) == 0) return i;
  }
  if (strcmp(s, "begin") == 0) return kBegin;
  if (strcmp(s, "end") == 0) return kEnd;
  return -1;
}

static int compare_ranges(const void* a, const void* b) {
  const Range* x = a;
  const Range* y = b;
  return x->start < y->start ? -1 : (x->start > y->start ? 1 : 0);
}

static int load_map(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "insn_phases: cannot open map file '%s'\n", path);
    return -1;
  }
  size_t cap = 256;
  g_ranges = checked(malloc(cap * sizeof *g_ranges));
  char line[512], kind[64];
  unsigned long long start, end;
  int line_no = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    ++line_no;
    if (line[0] == '#' || line[0] == '\n') continue;
    if (sscanf(line, "%llx %llx %63s", &start, &end, kind) != 3 || end <= start ||
        kind_of_name(kind) < 0) {
      fprintf(stderr, "insn_phases: %s:%d: expected '<start hex> <end hex> <kind>'\n", path,
              line_no);
      fclose(f);
      return -1;
    }
    if (g_n_ranges == cap) {
      cap *= 2;
      g_ranges = checked(realloc(g_ranges, cap * sizeof *g_ranges));
    }
    g_ranges[g_n_ranges++] = (Range){start, end, kind_of_name(kind)};
  }
  fclose(f);
  qsort(g_ranges, g_n_ranges, sizeof *g_ranges, compare_ranges);
  return 0;
}

static int kind_at(uint64_t addr) {
  size_t lo = 0, hi = g_n_ranges;  // first range with start > addr, by bisection
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (g_ranges[mid].start <= addr) lo = mid + 1; else hi = mid;
  }
  if (lo > 0 && addr < g_ranges[lo - 1].end) return g_ranges[lo - 1].kind;
  return kInherit;
}

static void on_block_exec(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  BlockRuns* b = userdata;
  if (g_active && b->n > 0 && b->run[0].kind != kEnd) ++b->execs;
  for (uint32_t i = 0; i < b->n; ++i) {
    const int kind = b->run[i].kind;
    if (kind == kBegin) {
      g_active = 1;
      g_phase = kOther;
    } else if (kind == kEnd) {
      if (g_active) ++g_windows;
      g_active = 0;
    } else {
      if (kind != kInherit) g_phase = kind;
      if (g_active) g_counts[g_phase] += b->run[i].count;
    }
  }
}

static void on_block_translate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  // Kept for as long as QEMU may execute the block (plugins are not told when blocks die).
  BlockRuns* b = checked(malloc(sizeof *b + n * sizeof b->run[0]));
  b->n = 0;
  b->n_insns = (uint32_t)n;
  b->execs = 0;
  b->vaddr = n > 0 ? qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)) : 0;
  b->next = g_blocks;
  g_blocks = b;
  for (size_t i = 0; i < n; ++i) {
    const int kind = kind_at(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i)));
    if (b->n > 0 && b->run[b->n - 1].kind == kind) {
      ++b->run[b->n - 1].count;
    } else {
      b->run[b->n].kind = kind;
      b->run[b->n].count = 1;
      ++b->n;
    }
  }
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &g_total, n);
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void write_blocks(void) {
  FILE* f = fopen(g_blocks_path, "w");
  if (f == NULL) {
    fprintf(stderr, "insn_phases: cannot write '%s'\n", g_blocks_path);
    return;
  }
  for (const BlockRuns* b = g_blocks; b != NULL; b = b->next) {
    if (b->execs > 0) fprintf(f, "%" PRIx64 " %u %" PRIu64 "\n", b->vaddr, b->n_insns, b->execs);
  }
  fclose(f);
}

static void on_plugin_exit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  if (g_blocks_path[0] != '\0') write_blocks();
  char text[512];
  int len = snprintf(text, sizeof text, "windows %" PRIu64 "\ntotal %" PRIu64 "\n", g_windows,
                     g_total);
  for (int i = 0; i < kPhaseCount; ++i) {
    len += snprintf(text + len, sizeof text - (size_t)len, "%s %" PRIu64 "\n", kPhaseNames[i],
                    g_counts[i]);
  }
  if (g_out_path[0] != '\0') {
    FILE* f = fopen(g_out_path, "w");
    if (f != NULL) {
      fputs(text, f);
      fclose(f);
      return;
    }
    fprintf(stderr, "insn_phases: cannot write '%s'\n", g_out_path);
  }
  qemu_plugin_outs(text);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc,
                                           char** argv) {
  (void)info;
  const char* map = NULL;
  for (int i = 0; i < argc; ++i) {
    if (strncmp(argv[i], "map=", 4) == 0) {
      map = argv[i] + 4;
    } else if (strncmp(argv[i], "out=", 4) == 0) {
      snprintf(g_out_path, sizeof g_out_path, "%s", argv[i] + 4);
    } else if (strncmp(argv[i], "blocks=", 7) == 0) {
      snprintf(g_blocks_path, sizeof g_blocks_path, "%s", argv[i] + 7);
    } else {
      fprintf(stderr, "insn_phases: unknown argument '%s' (map=FILE, out=FILE, blocks=FILE)\n",
              argv[i]);
      return -1;
    }
  }
  if (map == NULL) {
    fprintf(stderr, "insn_phases: map=FILE is required\n");
    return -1;
  }
  if (load_map(map) != 0) return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_block_translate);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
}
