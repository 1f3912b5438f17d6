// The power-safe flash store over a simulated NOR flash: saves alternate between slots, a power
// cut after every possible number of programmed bytes and in every erase of a save leaves the
// last complete checkpoint (or the new one) loadable, bit flips fall back to the other slot.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "sim_flash.h"
#include "test_util.h"
#include "tinyprop/flash_store.h"

namespace tinyprop_test {
namespace {

std::vector<uint8_t> state_of(const Trainer& t, uint64_t position) {
  std::vector<uint8_t> bytes(checkpoint_size(t, CheckpointMode::kFull));
  EXPECT_EQ(checkpoint_save(t, CheckpointMode::kFull, position, bytes.data(), bytes.size(),
                            nullptr),
            Status::kOk);
  return bytes;
}

void train(Trainer& t, const Dataset& d, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; ++i) {
    t.train_sample(d.row(i % d.size()), Target::of_label(d.y[i % d.size()]), nullptr);
  }
}

ModelSpec small_spec() { return mlp_spec({10, 12, 6, 4}, LayerKind::kReLU); }
TrainConfig adam_tinyprop(uint32_t batch) {
  TrainConfig c = make_config(Method::kTinyProp, OptimizerKind::kAdam, batch, 0.01f);
  return c;
}

TEST(FlashStore, SavesAlternateBetweenSlotsWithRisingSequence) {
  SimFlash flash(16 * 1024, 512, 8);
  FlashStore store;
  ASSERT_EQ(store.init(flash.device(), 2), Status::kOk);
  EXPECT_EQ(store.slot_capacity(), 8192u - kFlashSlotHeaderBytes);
  Bound b(small_spec(), adam_tinyprop(1));
  const Dataset d = make_blobs(40, 10, 4, 0.8f, 3);
  CheckpointError why = CheckpointError::kNone;
  EXPECT_NE(store.load(b.trainer, nullptr, &why), Status::kOk);  // blank flash
  EXPECT_EQ(why, CheckpointError::kNoCheckpoint);
  for (uint32_t k = 1; k <= 5; ++k) {
    train(b.trainer, d, 0, 3);
    ASSERT_EQ(store.save(b.trainer, k), Status::kOk);
    const uint32_t slot = (k - 1) % 2;  // slot 0, 1, 0, 1, ...
    EXPECT_TRUE(store.slot(slot).valid);
    EXPECT_EQ(store.slot(slot).sequence, k);
  }
  EXPECT_FALSE(flash.violated());
  // A fresh store (after a reboot) finds the newest and restores exactly that state.
  FlashStore again;
  ASSERT_EQ(again.init(flash.device(), 2), Status::kOk);
  Bound fresh(small_spec(), adam_tinyprop(1));
  CheckpointInfo info;
  ASSERT_EQ(again.load(fresh.trainer, &info), Status::kOk);
  EXPECT_EQ(info.position, 5u);
  EXPECT_TRUE(info.full());
  EXPECT_EQ(state_of(fresh.trainer, 5), state_of(b.trainer, 5));
}

TEST(FlashStore, RefusesUnusableGeometry) {
  SimFlash flash(4096, 512, 8);
  FlashStore store;
  CheckpointError why = CheckpointError::kNone;
  FlashDevice d = flash.device();
  EXPECT_NE(store.init(d, 1, &why), Status::kOk);  // one slot cannot be power-safe
  EXPECT_EQ(why, CheckpointError::kBadLayout);
  d.write_unit = 3;
  EXPECT_NE(store.init(d, 2, &why), Status::kOk);
  d.write_unit = 64;
  EXPECT_NE(store.init(d, 2, &why), Status::kOk);
  d = flash.device();
  d.size = 512;  // less than a sector per slot
  EXPECT_NE(store.init(d, 2, &why), Status::kOk);
  d = flash.device();
  d.program = nullptr;
  EXPECT_NE(store.init(d, 2, &why), Status::kOk);
}

TEST(FlashStore, WeightsOnlyWhenTheFullStateDoesNotFit) {
  Bound b(small_spec(), adam_tinyprop(1));
  const uint32_t full = checkpoint_size(b.trainer, CheckpointMode::kFull);
  const uint32_t weights = checkpoint_size(b.trainer, CheckpointMode::kWeightsOnly);
  // Slots of 2 KB: the weights (1,048 bytes) fit, Adam's full state (2,952 bytes) does not.
  ASSERT_GT(full, 2048u - kFlashSlotHeaderBytes);
  ASSERT_LT(weights, 2048u - kFlashSlotHeaderBytes);
  SimFlash flash(4096, 256, 4);
  FlashStore store;
  ASSERT_EQ(store.init(flash.device(), 2), Status::kOk);
  const Dataset d = make_blobs(20, 10, 4, 0.8f, 3);
  train(b.trainer, d, 0, 10);
  CheckpointMode used = CheckpointMode::kFull;
  ASSERT_EQ(store.save(b.trainer, 10, &used), Status::kOk);
  EXPECT_EQ(used, CheckpointMode::kWeightsOnly);
  CheckpointError why = CheckpointError::kNone;
  EXPECT_NE(store.save_mode(b.trainer, CheckpointMode::kFull, 10, &why), Status::kOk);
  EXPECT_EQ(why, CheckpointError::kDoesNotFit);
  Bound fresh(small_spec(), adam_tinyprop(1));
  CheckpointInfo info;
  ASSERT_EQ(store.load(fresh.trainer, &info), Status::kOk);
  EXPECT_FALSE(info.full());
  EXPECT_TRUE(same_bits(fresh.model.params(), b.model.params(), b.model.param_count()));
  EXPECT_EQ(fresh.trainer.optimizer_steps(), 0u);  // the optimizer starts afresh
}

TEST(FlashStore, BitFlipsInTheNewestSlotFallBackToTheOlderOne) {
  SimFlash flash(8 * 1024, 1024, 4);
  FlashStore store;
  ASSERT_EQ(store.init(flash.device(), 2), Status::kOk);
  Bound b(small_spec(), adam_tinyprop(4));
  const Dataset d = make_blobs(40, 10, 4, 0.8f, 3);
  train(b.trainer, d, 0, 6);
  ASSERT_EQ(store.save(b.trainer, 6), Status::kOk);  // slot 0, older
  const std::vector<uint8_t> older = state_of(b.trainer, 6);
  train(b.trainer, d, 6, 13);
  ASSERT_EQ(store.save(b.trainer, 13), Status::kOk);  // slot 1, newer
  const std::vector<uint8_t> newer = state_of(b.trainer, 13);
  const uint32_t slot1 = 4 * 1024, used = kFlashSlotHeaderBytes + store.slot(1).payload_bytes;
  uint32_t flips = 0;
  Bound fresh(small_spec(), adam_tinyprop(4));
  for (uint32_t at = 0; at < used; at += (at < 64 ? 1 : 37)) {  // every header byte, then strided
    SimFlash damaged = flash;
    damaged.bytes()[slot1 + at] ^= static_cast<uint8_t>(1u << (at % 8));
    FlashStore s;
    ASSERT_EQ(s.init(damaged.device(), 2), Status::kOk);
    EXPECT_FALSE(s.slot(1).valid) << "flip at slot byte " << at;
    CheckpointInfo info;
    ASSERT_EQ(s.load(fresh.trainer, &info), Status::kOk);
    EXPECT_EQ(state_of(fresh.trainer, info.position), older) << "flip at slot byte " << at;
    ++flips;
  }
  EXPECT_GT(flips, 100u);
  FlashStore s;  // undamaged: the newer
  ASSERT_EQ(s.init(flash.device(), 2), Status::kOk);
  CheckpointInfo info;
  ASSERT_EQ(s.load(fresh.trainer, &info), Status::kOk);
  EXPECT_EQ(state_of(fresh.trainer, info.position), newer);
}

// A diverged trainer is never saved: neither into a buffer nor over a slot, whose previous
// checkpoint stays loadable.
TEST(FlashStore, ADivergedStateIsNotSavedAndTheLastGoodOneStays) {
  SimFlash flash(16 * 1024, 1024, 4);
  FlashStore store;
  ASSERT_EQ(store.init(flash.device(), 2), Status::kOk);
  Bound b(small_spec(), adam_tinyprop(1));
  const Dataset d = make_blobs(20, 10, 4, 0.8f, 3);
  train(b.trainer, d, 0, 5);
  ASSERT_EQ(store.save(b.trainer, 5), Status::kOk);
  const std::vector<uint8_t> good = state_of(b.trainer, 5);
  const std::vector<uint8_t> image = flash.bytes();

  Layer& last = b.model.layer(b.model.n_layers() - 1);
  const float bias = last.b[0];
  last.b[0] = NAN;  // a NaN logit: the step's loss is NaN, health() becomes kNonFinite
  b.trainer.train_sample(d.row(5), Target::of_label(d.y[5]), nullptr);
  ASSERT_EQ(b.trainer.health(), Status::kNonFinite);
  std::vector<uint8_t> buffer(checkpoint_size(b.trainer, CheckpointMode::kFull));
  CheckpointError why = CheckpointError::kNone;
  EXPECT_EQ(checkpoint_save(b.trainer, CheckpointMode::kFull, 6, buffer.data(), buffer.size(),
                            nullptr, &why),
            Status::kNonFinite);
  EXPECT_EQ(why, CheckpointError::kNonFinite);
  EXPECT_EQ(store.save(b.trainer, 6, nullptr, &why), Status::kNonFinite);
  EXPECT_EQ(why, CheckpointError::kNonFinite);
  EXPECT_EQ(flash.bytes(), image);  // nothing erased or programmed

  // A NaN weight that the loss does not show (health() is fine) is caught by the scan.
  b.trainer.reset_health();
  last.b[0] = bias;
  b.model.layer(0).w[7] = NAN;
  EXPECT_EQ(store.save(b.trainer, 6, nullptr, &why), Status::kNonFinite);
  EXPECT_EQ(flash.bytes(), image);
  Bound fresh(small_spec(), adam_tinyprop(1));
  CheckpointInfo info;
  ASSERT_EQ(store.load(fresh.trainer, &info), Status::kOk);
  EXPECT_EQ(state_of(fresh.trainer, info.position), good);
}

struct SweepCounts {
  uint64_t programmed = 0;  // bytes one save programs
  uint32_t erases = 0;      // sector erases of one save
  uint32_t cut_points = 0, kept_old = 0, got_new = 0;
};

// Two saves fill both slots (states at positions 5 and 10), training goes on to position 15,
// then the third save is cut at each point of `program_cuts` and during each of its erases.
// After every cut the flash is rebooted and loaded into a fresh trainer: the state must be
// exactly the one at 10 or the one at 15 (the latter once the header is complete), and a next
// save must succeed.
SweepCounts sweep_power_cuts(const ModelSpec& spec, const TrainConfig& cfg, uint32_t flash_size,
                             uint32_t sector, uint32_t unit, uint64_t stride) {
  SweepCounts c;
  const Dataset d = make_blobs(64, spec.input.size(), 4, 0.8f, 5);
  Bound dev(spec, cfg);
  SimFlash flash(flash_size, sector, unit);
  FlashStore store;
  EXPECT_EQ(store.init(flash.device(), 2), Status::kOk);
  train(dev.trainer, d, 0, 5);
  EXPECT_EQ(store.save(dev.trainer, 5), Status::kOk);
  train(dev.trainer, d, 5, 10);
  EXPECT_EQ(store.save(dev.trainer, 10), Status::kOk);
  const std::vector<uint8_t> old_state = state_of(dev.trainer, 10);
  train(dev.trainer, d, 10, 15);
  const std::vector<uint8_t> new_state = state_of(dev.trainer, 15);

  {  // a save without a cut: how many bytes and erases it takes
    SimFlash probe = flash;
    FlashStore s;
    EXPECT_EQ(s.init(probe.device(), 2), Status::kOk);
    EXPECT_EQ(s.save(dev.trainer, 15), Status::kOk);
    c.programmed = probe.programmed() - flash.programmed();
    c.erases = static_cast<uint32_t>(probe.erases() - flash.erases());
  }
  Bound fresh(spec, cfg);
  auto trial = [&](int64_t program_cut, int64_t erase_cut) {
    SimFlash f = flash;
    f.cut_after_programmed(program_cut);
    f.cut_during_erase(erase_cut);
    FlashStore s;
    EXPECT_EQ(s.init(f.device(), 2), Status::kOk);
    const bool saved = ok(s.save(dev.trainer, 15));
    EXPECT_EQ(saved, !f.dead());
    f.reboot();
    FlashStore after;
    EXPECT_EQ(after.init(f.device(), 2), Status::kOk);
    CheckpointInfo info;
    CheckpointError why = CheckpointError::kNone;
    const bool loaded = ok(after.load(fresh.trainer, &info, &why));
    EXPECT_TRUE(loaded) << "cut " << program_cut << "/" << erase_cut << ": "
                        << checkpoint_error_name(why);
    const std::vector<uint8_t> got = loaded ? state_of(fresh.trainer, info.position) : std::vector<uint8_t>();
    const bool is_new = got == new_state, is_old = got == old_state;
    EXPECT_TRUE(is_new || is_old) << "cut " << program_cut << "/" << erase_cut
                                  << ": a state that was never saved";
    if (saved) EXPECT_TRUE(is_new) << "a completed save was lost";
    c.got_new += is_new ? 1u : 0u;
    c.kept_old += is_old ? 1u : 0u;
    ++c.cut_points;
    EXPECT_FALSE(f.violated()) << "a NOR rule was broken";
    if (c.cut_points % 16 == 1) {  // the device carries on: the next save lands and loads
      EXPECT_EQ(after.save(dev.trainer, 15), Status::kOk);
      EXPECT_EQ(after.load(fresh.trainer, &info), Status::kOk);
      EXPECT_EQ(state_of(fresh.trainer, info.position), new_state);
    }
  };
  for (uint64_t cut = 0; cut <= c.programmed; cut += stride) {
    trial(static_cast<int64_t>(cut), -1);
    // The header is the last 32 bytes programmed: try each of them even when striding.
    const uint64_t header_from = c.programmed - kFlashSlotHeaderBytes;
    if (stride > 1 && cut + stride > header_from) {
      for (uint64_t k = cut + 1 > header_from ? cut + 1 : header_from;
           k <= c.programmed && k < cut + stride; ++k) {
        trial(static_cast<int64_t>(k), -1);
      }
    }
  }
  for (uint32_t e = 0; e < c.erases; ++e) trial(-1, e);
  return c;
}

TEST(FlashStore, PowerCutAtEveryProgrammedByteAndEveryEraseSmallModel) {
  // Batch 1 on a flash with a 1-byte write unit, batch 4 (a pending batch) with 32-byte units.
  for (uint32_t batch : {1u, 4u}) {
    const uint32_t unit = batch == 1 ? 1 : 32;
    const SweepCounts c = sweep_power_cuts(small_spec(), adam_tinyprop(batch), 16 * 1024, 1024,
                                           unit, /*stride=*/1);
    EXPECT_EQ(c.cut_points, c.programmed + 1 + c.erases);
    EXPECT_EQ(c.kept_old + c.got_new, c.cut_points);  // 0 lost or corrupt
    EXPECT_GT(c.kept_old, 0u);
    EXPECT_GT(c.got_new, 0u);
    printf("[ small 10-12-6-4 Adam batch %u, write unit %u ] %u cut points (%llu programmed bytes + %u erases + "
           "the uncut save): old state %u, new state %u, lost or corrupt %u\n",
           batch, unit, c.cut_points, static_cast<unsigned long long>(c.programmed), c.erases,
           c.kept_old, c.got_new, c.cut_points - c.kept_old - c.got_new);
  }
}

// 784-32-16-10 with Adam: a 306 KB checkpoint. Every 1009th programmed byte plus every byte of
// the header (the last 32 programmed) and every erase: a few hundred cut points in seconds.
TEST(FlashStore, PowerCutsStridedRealisticModel) {
  ModelSpec spec = mlp_spec({784, 32, 16, 10}, LayerKind::kReLU);
  const TrainConfig cfg = make_config(Method::kTinyProp, OptimizerKind::kAdam, 1, 1e-3f);
  const SweepCounts c = sweep_power_cuts(spec, cfg, 640 * 1024, 4096, 8, /*stride=*/2003);
  EXPECT_GT(c.cut_points, 250u);
  EXPECT_EQ(c.kept_old + c.got_new, c.cut_points);  // 0 lost or corrupt
  EXPECT_GT(c.kept_old, 0u);
  EXPECT_GT(c.got_new, 0u);
  printf("[ 784-32-16-10 Adam ] %u cut points (every 2003rd of %llu programmed bytes, every header "
         "byte, %u erases): old state %u, new state %u, lost or corrupt %u\n",
         c.cut_points, static_cast<unsigned long long>(c.programmed), c.erases, c.kept_old,
         c.got_new, c.cut_points - c.kept_old - c.got_new);
}

}  // namespace
}  // namespace tinyprop_test
