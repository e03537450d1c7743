{
  "targets": [
    {
      "target_name": "arp_responder",
      "sources": ["native/packet_socket.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-std=gnu11"]
    }
  ]
}
