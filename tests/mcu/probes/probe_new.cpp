// Must not link: there is no operator new (no heap, no libstdc++). The pointer escapes into a
// volatile, so the compiler cannot elide the allocation.
int* volatile g_sink;

int main() {
  g_sink = new int[4];
  return 0;
}
