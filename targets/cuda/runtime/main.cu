// tscc_run: runs a compiled model on .npy files.
//   tscc_run WEIGHTS IN_DIR OUT_DIR [REPEAT]
// reads IN_DIR/<input>.npy for every model input, writes OUT_DIR/<output>.npy (names with
// characters outside [A-Za-z0-9._-] replaced by '_'), and with REPEAT > 0 prints the mean time of
// that many further launches of the plan on the device-resident inputs (no host copies) as
// "time_ms <value>", after one warm-up launch.
#include <chrono>
#include <string>
#include <vector>
#include <ctype.h>
#include "tscc_model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static std::string file_name(const char* name) {
  std::string s(name);
  for (char& c : s)
    if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-')) c = '_';
  return s + ".npy";
}

static std::string shape_text(int rank, const long long* dims) {
  std::string s = "(";
  for (int d = 0; d < rank; d++) s += std::to_string(dims[d]) + (rank == 1 || d + 1 < rank ? "," : "");
  return s + ")";
}

static bool read_npy(const std::string& path, int i, std::vector<char>& data) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) { fprintf(stderr, "tscc_run: cannot open %s\n", path.c_str()); return false; }
  unsigned char head[12];
  bool ok = fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY", 6) == 0;
  size_t hlen = 0;
  if (ok && head[6] == 1) hlen = head[8] | (head[9] << 8);
  else if (ok && fread(head + 10, 1, 2, f) == 2) hlen = head[8] | (head[9] << 8) | (head[10] << 16) | ((size_t)head[11] << 24);
  std::string header(hlen, ' ');
  ok = ok && fread(&header[0], 1, hlen, f) == hlen;
  std::string want_descr = std::string("'") + tscc_model_io_dtype(0, i) + "'";
  std::string want_shape = shape_text(tscc_model_io_rank(0, i), tscc_model_io_shape(0, i));
  std::string compact;
  for (char c : header) if (c != ' ') compact += c;
  if (ok && (compact.find(want_descr) == std::string::npos || compact.find("'shape':" + want_shape) == std::string::npos ||
             compact.find("'fortran_order':False") == std::string::npos)) {
    fprintf(stderr, "tscc_run: %s: expected dtype %s shape %s, header %s\n", path.c_str(), want_descr.c_str(), want_shape.c_str(), header.c_str());
    ok = false;
  }
  data.resize((size_t)tscc_model_io_bytes(0, i));
  ok = ok && fread(data.data(), 1, data.size(), f) == data.size();
  fclose(f);
  if (!ok) fprintf(stderr, "tscc_run: %s is not a matching .npy file\n", path.c_str());
  return ok;
}

static bool write_npy(const std::string& path, int i, const std::vector<char>& data) {
  std::string h = std::string("{'descr': '") + tscc_model_io_dtype(1, i) + "', 'fortran_order': False, 'shape': " +
                  shape_text(tscc_model_io_rank(1, i), tscc_model_io_shape(1, i)) + ", }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) { fprintf(stderr, "tscc_run: cannot write %s\n", path.c_str()); return false; }
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(h.size() & 255), (unsigned char)(h.size() >> 8)};
  bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(h.data(), 1, h.size(), f) == h.size() &&
            fwrite(data.data(), 1, data.size(), f) == data.size();
  return fclose(f) == 0 && ok;
}

int main(int argc, char** argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s WEIGHTS IN_DIR OUT_DIR [REPEAT]\n", argv[0]); return 2; }
  int repeat = argc > 4 ? atoi(argv[4]) : 0;
  tscc_model* m = tscc_model_create(argv[1]);
  if (!m) return 1;
  int ni = tscc_model_num_inputs(), no = tscc_model_num_outputs();
  std::vector<std::vector<char>> in(ni), out(no);
  std::vector<const void*> ip(ni);
  std::vector<void*> op(no);
  for (int i = 0; i < ni; i++) {
    if (!read_npy(std::string(argv[2]) + "/" + file_name(tscc_model_io_name(0, i)), i, in[i])) return 1;
    ip[i] = in[i].data();
  }
  for (int i = 0; i < no; i++) { out[i].resize((size_t)tscc_model_io_bytes(1, i)); op[i] = out[i].data(); }
  if (tscc_model_run(m, ip.data(), op.data()) != 0) return 1;
  for (int i = 0; i < no; i++)
    if (!write_npy(std::string(argv[3]) + "/" + file_name(tscc_model_io_name(1, i)), i, out[i])) return 1;
  if (repeat > 0) {
    if (tscc_model_launch(m) != 0) return 1;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeat; r++)
      if (tscc_model_launch(m) != 0) return 1;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / repeat;
    printf("time_ms %.6f\n", ms);
  }
  tscc_model_destroy(m);
  return 0;
}
