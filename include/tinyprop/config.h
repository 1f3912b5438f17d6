/* Compile-time options of the core (C and C++). Every translation unit that includes the core's
 * headers must see the same values as the library was built with: CMake passes them as usage
 * requirements of tinyprop::core (the cache options of the same names), pkg-config in its Cflags;
 * a build without either passes the same -D flags to the library and to the program.
 *
 *   TINYPROP_MAX_LAYERS  layers of one model, activations included (default 24, 1..255). Sizes
 *                        ModelSpec, Model, Trainer, StepCounters and RunCounters, and so the
 *                        C API's TP_*_BYTES: about 36 B of spec, 104 B of model and 40 B of
 *                        trainer per layer on a 32-bit target.
 *   TINYPROP_WITH_CONV   1 (default): Conv2D and depthwise convolutions; 0 leaves their code out
 *                        of the library, and validation refuses a spec that uses them
 *                        (Status::kKindDisabled).
 *   TINYPROP_WITH_POOL   1 (default): max, average and global average pooling; 0 likewise.
 */
#ifndef TINYPROP_CONFIG_H
#define TINYPROP_CONFIG_H

#ifndef TINYPROP_MAX_LAYERS
#define TINYPROP_MAX_LAYERS 24
#endif
#if TINYPROP_MAX_LAYERS < 1 || TINYPROP_MAX_LAYERS > 255
#error "TINYPROP_MAX_LAYERS must be between 1 and 255"
#endif

#ifndef TINYPROP_WITH_CONV
#define TINYPROP_WITH_CONV 1
#endif
#ifndef TINYPROP_WITH_POOL
#define TINYPROP_WITH_POOL 1
#endif

#endif /* TINYPROP_CONFIG_H */
