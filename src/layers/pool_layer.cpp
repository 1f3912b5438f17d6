#include "layers/pool_layer.h"
#include "tinyprop/config.h"

#include "layers/conv_layer.h"
#include "tinyprop/kernels/pool.h"

// Compiled out with TINYPROP_WITH_POOL=0 (tinyprop/config.h).
#if TINYPROP_WITH_POOL
namespace tinyprop {

void pool_layer_forward(Layer& layer, const float* in) {
  switch (layer.spec.kind) {
    case LayerKind::kMaxPool2D:
      max_pool2d_forward(layer.out, in, layer_window(layer));
      break;
    case LayerKind::kAvgPool2D:
      avg_pool2d_forward(layer.out, in, layer_window(layer));
      break;
    case LayerKind::kGlobalAvgPool:
      global_avg_pool_forward(layer.out, in, layer.in_shape.h * layer.in_shape.w,
                              layer.in_shape.c);
      break;
    case LayerKind::kFlatten:
      // In place after another layer; as the first layer it copies the caller's input.
      if (layer.out != in) {
        for (uint32_t i = 0; i < layer.out_size; ++i) layer.out[i] = in[i];
      }
      break;
    default:
      break;
  }
}

bool pool_layer_backward(const Layer& layer, const float* x, const float* dy, float* dx) {
  switch (layer.spec.kind) {
    case LayerKind::kMaxPool2D:
      max_pool2d_backward_input(dx, x, dy, layer_window(layer));
      return true;
    case LayerKind::kAvgPool2D:
      avg_pool2d_backward_input(dx, dy, layer_window(layer));
      return true;
    case LayerKind::kGlobalAvgPool:
      global_avg_pool_backward_input(dx, dy, layer.in_shape.h * layer.in_shape.w,
                                     layer.in_shape.c);
      return true;
    default:
      return false;  // Flatten: the same floats in the same order
  }
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_POOL
