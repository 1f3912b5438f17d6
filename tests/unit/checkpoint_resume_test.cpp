// Checkpoints: a trainer restored from a checkpoint continues bit for bit like one that never
// stopped, for every optimizer x method x batch size; damaged or foreign checkpoints are refused
// and leave the trainer unchanged.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "test_util.h"
#include "tinyprop/checkpoint.h"
#include "tinyprop/crc32.h"

namespace tinyprop_test {
namespace {

// 10-12(frozen)-9-6-4 MLP: a frozen first layer (its CRC is checked), three trainable layers.
ModelSpec resume_spec() {
  ModelSpec spec = mlp_spec({10, 12, 9, 6, 4}, LayerKind::kReLU);
  spec.layers[0].trainable = false;
  return spec;
}

struct Optim {
  const char* name;
  OptimizerKind kind;
  float lr;
  float momentum;
};
constexpr Optim kOptims[] = {{"sgd", OptimizerKind::kSgd, 0.05f, 0.0f},
                             {"momentum", OptimizerKind::kSgd, 0.05f, 0.9f},
                             {"adam", OptimizerKind::kAdam, 0.01f, 0.0f}};
constexpr Method kMethods[] = {Method::kFull, Method::kStatic, Method::kTinyProp,
                               Method::kTinyPropV2};

TrainConfig resume_config(const Optim& o, Method method, uint32_t batch) {
  TrainConfig c = make_config(method, o.kind, batch, o.lr, o.momentum);
  c.sparsity.ratio = 0.4f;
  c.sparsity.skip_threshold = 0.5f;  // tinypropv2 skips often in a short run
  return c;
}

std::vector<uint8_t> save(const Trainer& t, uint64_t position = 0,
                          CheckpointMode mode = CheckpointMode::kFull) {
  std::vector<uint8_t> bytes(checkpoint_size(t, mode));
  size_t written = 0;
  EXPECT_EQ(checkpoint_save(t, mode, position, bytes.data(), bytes.size(), &written),
            Status::kOk);
  EXPECT_EQ(written, bytes.size());
  return bytes;
}

// Trains samples [from, to) of d; the learning rate follows a schedule of the sample index, so
// a resumed run must also restore where the schedule stands.
void train_range(Trainer& t, const Dataset& d, uint32_t from, uint32_t to) {
  const float lr0 = t.config().optimizer.learning_rate;
  for (uint32_t i = from; i < to; ++i) {
    if (i % 5 == 0) t.set_learning_rate(lr0 * 0.97f);
    t.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
  }
}

using ResumeCase = std::tuple<int, int, uint32_t>;  // optimizer, method, batch size

class CheckpointResume : public ::testing::TestWithParam<ResumeCase> {};

TEST_P(CheckpointResume, ContinuesBitForBitLikeAnUninterruptedRun) {
  const Optim& o = kOptims[std::get<0>(GetParam())];
  const Method method = kMethods[std::get<1>(GetParam())];
  const uint32_t batch = std::get<2>(GetParam());
  const ModelSpec spec = resume_spec();
  const TrainConfig cfg = resume_config(o, method, batch);
  const Dataset d = make_blobs(60, 10, 4, 0.8f, 11);
  constexpr uint32_t kStop = 23;  // not a multiple of the batch: a partial batch is pending

  Bound straight(spec, cfg);
  ASSERT_EQ(straight.status, Status::kOk);
  train_range(straight.trainer, d, 0, kStop);
  const std::vector<uint8_t> at_stop = save(straight.trainer, kStop);
  train_range(straight.trainer, d, kStop, d.size());

  // A "rebooted" device: the same base model (fresh bind, same initial weights), then restore.
  Bound resumed(spec, cfg);
  ASSERT_EQ(resumed.status, Status::kOk);
  CheckpointInfo info;
  CheckpointError why = CheckpointError::kNone;
  ASSERT_EQ(checkpoint_restore(resumed.trainer, at_stop.data(), at_stop.size(), &info, &why),
            Status::kOk)
      << checkpoint_error_name(why);
  EXPECT_EQ(info.position, kStop);
  EXPECT_LT(info.in_batch, batch);  // tinypropv2's skipped samples do not join the batch
  if (batch > 1 && method != Method::kTinyPropV2) EXPECT_EQ(info.in_batch, kStop % batch);
  EXPECT_EQ(save(resumed.trainer, kStop), at_stop);  // the restored state is the saved state
  train_range(resumed.trainer, d, static_cast<uint32_t>(info.position), d.size());

  ASSERT_TRUE(same_bits(straight.model.params(), resumed.model.params(),
                        straight.model.param_count()));
  // Everything else too: moments, step count, powers, Y_max, pending batch, loss.
  EXPECT_EQ(save(straight.trainer), save(resumed.trainer));
  EXPECT_EQ(straight.trainer.optimizer_steps(), resumed.trainer.optimizer_steps());
  const float loss_a = straight.trainer.last_loss(), loss_b = resumed.trainer.last_loss();
  EXPECT_TRUE(same_bits(&loss_a, &loss_b, 1));
}

std::string case_name(const ::testing::TestParamInfo<ResumeCase>& p) {
  static const char* kMethodNames[] = {"full", "static", "tinyprop", "tinypropv2"};
  return std::string(kOptims[std::get<0>(p.param)].name) + "_" +
         kMethodNames[std::get<1>(p.param)] + "_batch" + std::to_string(std::get<2>(p.param));
}

INSTANTIATE_TEST_SUITE_P(EveryOptimizerMethodBatch, CheckpointResume,
                         ::testing::Combine(::testing::Range(0, 3), ::testing::Range(0, 4),
                                            ::testing::Values(1u, 4u)),
                         case_name);

// The test above can fail: resuming from the weights alone (what was possible before
// checkpoints) does not continue like the uninterrupted run for Adam and TinyProp.
TEST(Checkpoint, WeightsOnlyRestoreIsNotABitExactResume) {
  const ModelSpec spec = resume_spec();
  const TrainConfig cfg = resume_config(kOptims[2], Method::kTinyProp, 1);
  const Dataset d = make_blobs(60, 10, 4, 0.8f, 11);
  Bound straight(spec, cfg);
  train_range(straight.trainer, d, 0, 23);
  const std::vector<uint8_t> weights = save(straight.trainer, 23, CheckpointMode::kWeightsOnly);
  EXPECT_LT(weights.size(), checkpoint_size(straight.trainer, CheckpointMode::kFull));
  train_range(straight.trainer, d, 23, d.size());

  Bound resumed(spec, cfg);
  ASSERT_EQ(checkpoint_restore(resumed.trainer, weights.data(), weights.size()), Status::kOk);
  EXPECT_EQ(resumed.trainer.optimizer_steps(), 0u);  // the optimizer starts afresh
  train_range(resumed.trainer, d, 23, d.size());
  EXPECT_FALSE(same_bits(straight.model.params(), resumed.model.params(),
                         straight.model.param_count()));
}

TEST(Checkpoint, SizesFollowTheLayout) {
  const ModelSpec spec = resume_spec();
  // Trainable: 12*9+9 + 9*6+6 + 6*4+4 = 205 parameters in 3 layers; header 80, CRC 4.
  const uint32_t base = 80 + 3 * 4 + 205 * 4 + 4;
  Bound sgd(spec, resume_config(kOptims[0], Method::kFull, 1));
  Bound mom(spec, resume_config(kOptims[1], Method::kFull, 1));
  Bound adam(spec, resume_config(kOptims[2], Method::kFull, 4));
  EXPECT_EQ(checkpoint_size(sgd.trainer, CheckpointMode::kFull), base);
  EXPECT_EQ(checkpoint_size(mom.trainer, CheckpointMode::kFull), base + 205 * 4);
  // Adam, batch 4: two moments, the pending gradients and 19 touched flags padded to 20.
  EXPECT_EQ(checkpoint_size(adam.trainer, CheckpointMode::kFull), base + 3 * 205 * 4 + 20);
  EXPECT_EQ(checkpoint_size(adam.trainer, CheckpointMode::kWeightsOnly), base);
}

// Every way a checkpoint can be wrong is refused and leaves the trainer as it was.
TEST(Checkpoint, RefusesDamagedOrForeignCheckpointsWithoutChangingTheTrainer) {
  const ModelSpec spec = resume_spec();
  const TrainConfig cfg = resume_config(kOptims[2], Method::kTinyProp, 4);
  const Dataset d = make_blobs(30, 10, 4, 0.8f, 11);
  Bound source(spec, cfg);
  train_range(source.trainer, d, 0, 10);
  const std::vector<uint8_t> good = save(source.trainer);

  Bound target(spec, cfg);
  train_range(target.trainer, d, 0, 3);
  const std::vector<uint8_t> before = save(target.trainer);
  auto expect_refused = [&](const std::vector<uint8_t>& bytes, CheckpointError want) {
    CheckpointError why = CheckpointError::kNone;
    EXPECT_NE(checkpoint_restore(target.trainer, bytes.data(), bytes.size(), nullptr, &why),
              Status::kOk);
    EXPECT_EQ(why, want) << checkpoint_error_name(why);
    EXPECT_EQ(save(target.trainer), before);
  };
  // Every single-bit flip is caught (CRC-32 detects all of them).
  for (size_t byte = 0; byte < good.size(); byte += 7) {
    std::vector<uint8_t> bad = good;
    bad[byte] ^= static_cast<uint8_t>(1u << (byte % 8));
    CheckpointError why = CheckpointError::kNone;
    EXPECT_NE(checkpoint_restore(target.trainer, bad.data(), bad.size(), nullptr, &why),
              Status::kOk) << "flip at byte " << byte;
  }
  EXPECT_EQ(save(target.trainer), before);
  expect_refused(std::vector<uint8_t>(good.begin(), good.end() - 1), CheckpointError::kTruncated);
  expect_refused(std::vector<uint8_t>(good.begin(), good.begin() + 40), CheckpointError::kTruncated);

  Bound other_base(spec, cfg, /*seed=*/8);  // frozen layer initialised differently
  expect_refused(save(other_base.trainer), CheckpointError::kFrozenMismatch);
  Bound other_cfg(spec, resume_config(kOptims[2], Method::kFull, 4));
  expect_refused(save(other_cfg.trainer), CheckpointError::kConfigMismatch);
  ModelSpec wider = mlp_spec({10, 12, 9, 7, 4}, LayerKind::kReLU);
  wider.layers[0].trainable = false;
  Bound other_model(wider, cfg);
  expect_refused(save(other_model.trainer), CheckpointError::kModelMismatch);
  // Values no save writes, under a CRC that holds (found by fuzzing): refused too.
  auto changed = [&](size_t at, std::initializer_list<uint8_t> bytes) {
    std::vector<uint8_t> b = good;
    for (uint8_t v : bytes) b[at++] = v;
    const uint32_t crc = crc32_update(0, b.data(), b.size() - 4);
    for (size_t i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
    return b;
  };
  const size_t first_param = kCheckpointHeaderBytes + 3 * 4;  // after the 3 Y_max values
  expect_refused(changed(first_param + 8, {0x00, 0x00, 0xC0, 0x7F}), CheckpointError::kNonFinite);
  expect_refused(changed(6, {81, 0}), CheckpointError::kBadLayout);  // header bytes field
  expect_refused(changed(76, {1}), CheckpointError::kBadLayout);     // reserved
  expect_refused(changed(73, {0}), CheckpointError::kBadLayout);     // method byte: full
  expect_refused(changed(good.size() - 8, {2}), CheckpointError::kBadLayout);  // touched flag
  std::vector<uint8_t> not_ckpt = good;
  not_ckpt[0] = 'X';
  expect_refused(not_ckpt, CheckpointError::kBadMagic);

  // A weights-only checkpoint of another configuration is accepted: same model, fresh optimizer.
  EXPECT_EQ(checkpoint_restore(target.trainer, save(other_cfg.trainer, 0,
                                                    CheckpointMode::kWeightsOnly).data(),
                               checkpoint_size(other_cfg.trainer, CheckpointMode::kWeightsOnly)),
            Status::kOk);
  EXPECT_TRUE(same_bits(target.model.params(), other_cfg.model.params(),
                        target.model.param_count()));
}

TEST(Checkpoint, InspectReportsTheHeaderWithoutATrainer) {
  const ModelSpec spec = resume_spec();
  const TrainConfig cfg = resume_config(kOptims[2], Method::kTinyPropV2, 4);
  const Dataset d = make_blobs(30, 10, 4, 0.8f, 11);
  Bound b(spec, cfg);
  train_range(b.trainer, d, 0, 9);
  const std::vector<uint8_t> bytes = save(b.trainer, 1234);
  CheckpointInfo info;
  ASSERT_EQ(checkpoint_inspect_buffer(bytes.data(), bytes.size(), &info), Status::kOk);
  EXPECT_EQ(info.version, kCheckpointVersion);
  EXPECT_TRUE(info.full());
  EXPECT_TRUE(info.has_gradients());
  EXPECT_EQ(info.position, 1234u);
  EXPECT_EQ(info.optimizer_steps, 2u);
  EXPECT_EQ(info.in_batch, 1u);
  EXPECT_EQ(info.batch_size, 4u);
  EXPECT_EQ(info.optimizer, static_cast<uint8_t>(OptimizerKind::kAdam));
  EXPECT_EQ(info.method, static_cast<uint8_t>(Method::kTinyPropV2));
  EXPECT_EQ(info.trainable_layers, 3u);
  EXPECT_EQ(info.state_per_param, 2u);
  EXPECT_EQ(info.total_bytes, bytes.size());
  EXPECT_EQ(info.spec_hash, checkpoint_spec_hash(spec));
  EXPECT_EQ(info.config_hash, checkpoint_config_hash(cfg));
}

// The .tpm file's optimizer section, loaded back: Adam continues like the run that wrote it.
TEST(Checkpoint, OptimizerStateFromAModelFileContinuesTheRun) {
  const ModelSpec spec = resume_spec();
  const TrainConfig cfg = resume_config(kOptims[2], Method::kFull, 1);
  const Dataset d = make_blobs(40, 10, 4, 0.8f, 11);
  Bound straight(spec, cfg);
  for (uint32_t i = 0; i < 20; ++i) straight.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
  std::vector<float> state;  // m_w, m_b, v_w, v_b per trainable layer
  for (uint32_t i = 0; i < straight.model.n_layers(); ++i) {
    const LayerTrainState& st = straight.trainer.state(i);
    if (!st.trainable) continue;
    const Layer& l = straight.model.layer(i);
    for (const float* p : {st.m_w, st.m_b, st.v_w, st.v_b}) {
      const uint32_t n = (p == st.m_w || p == st.v_w) ? l.n_weights : l.n_bias;
      state.insert(state.end(), p, p + n);
    }
  }
  Bound resumed(spec, cfg);
  memcpy(resumed.model.params(), straight.model.params(), straight.model.param_count() * 4);
  ASSERT_EQ(trainer_load_optimizer_state(resumed.trainer, state.data(), state.size(),
                                         straight.trainer.optimizer_steps()),
            Status::kOk);
  EXPECT_EQ(trainer_load_optimizer_state(resumed.trainer, state.data(), state.size() - 1, 20),
            Status::kInvalidArgument);
  for (uint32_t i = 20; i < 40; ++i) {
    straight.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
    resumed.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
  }
  EXPECT_TRUE(same_bits(straight.model.params(), resumed.model.params(),
                        straight.model.param_count()));
}

}  // namespace
}  // namespace tinyprop_test
