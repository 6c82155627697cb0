#include "ws/client_frame.h"

#include <cstring>

#include "ws/mask.h"

namespace chatd::ws {

void append_client_frame(const ClientFrame& f, std::string& out) {
  const std::size_t len = f.payload.size();
  unsigned char head[kMaxClientHeader];
  head[0] = static_cast<unsigned char>((f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | static_cast<uint8_t>(f.opcode));
  const unsigned char mask_bit = f.masked ? 0x80 : 0;
  std::size_t n = 2;
  LengthForm form = f.length_form;
  if (form == LengthForm::minimal) form = len < 126 ? LengthForm::minimal : len <= 0xFFFF ? LengthForm::wide16 : LengthForm::wide64;
  if (form == LengthForm::minimal) {
    head[1] = static_cast<unsigned char>(mask_bit | len);
  } else if (form == LengthForm::wide16) {
    head[1] = mask_bit | 126;
    head[2] = static_cast<unsigned char>(len >> 8);
    head[3] = static_cast<unsigned char>(len);
    n = 4;
  } else {
    head[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) head[2 + i] = static_cast<unsigned char>(uint64_t(len) >> (56 - 8 * i));
    n = 10;
  }
  if (f.masked) {
    std::memcpy(head + n, &f.mask_key, 4);
    n += 4;
  }
  out.append(reinterpret_cast<const char*>(head), n);
  const std::size_t payload_at = out.size();
  out.append(f.payload);
  if (f.masked) apply_mask(out.data() + payload_at, len, f.mask_key);
}

}  // namespace chatd::ws
