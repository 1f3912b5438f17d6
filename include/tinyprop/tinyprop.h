// Umbrella header of the tinyprop core library.
#pragma once
#include "tinyprop/arena.h"
#include "tinyprop/checkpoint.h"
#include "tinyprop/counters.h"
#include "tinyprop/flash_store.h"
#include "tinyprop/limits.h"
#include "tinyprop/model.h"
#include "tinyprop/rng.h"
#include "tinyprop/spec.h"
#include "tinyprop/status.h"
#include "tinyprop/train_config.h"
#include "tinyprop/trainer.h"
