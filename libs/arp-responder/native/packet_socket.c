/*
 * Node-API addon (NAPI 8) for @metallb-ts/arp-responder, built as `arp_responder.node` by
 * binding.gyp (`npm run build:native -w libs/arp-responder`; also at install). AF_PACKET sockets
 * bound to one interface with a classic BPF filter, read through a libuv poll handle on the main
 * loop (no threads, the event loop never blocks); interface discovery through getifaddrs(3);
 * rtnetlink change notifications.
 *
 * The typed wrapper is src/native/af-packet.ts (`NativeAddon`, `NativePacketSocket`, `loadAddon`,
 * `AfPacketTransport`); the BPF programs come from src/native/bpf.ts. JS surface:
 *   new PacketSocket(ifname, protocol, filter?)   filter: Buffer of struct sock_filter
 *     own frames not echoed (PACKET_IGNORE_OUTGOING), 4 MiB receive buffer, VLAN tags the
 *     driver took off put back from PACKET_AUXDATA
 *   .start(cb(err, frames[]))   every frame read in one wake-up, at most 64, in one callback
 *   .send(buf) -> bytes   .sendBatch(bufs) -> frames sent (one sendmmsg(2))
 *   .addMembership(mac) .dropMembership(mac) .stats() -> {packets, drops} .stop() .close()
 *   properties: ifindex, mac, fd
 *   listInterfaces() -> [{name, index, flags, mac, addresses:[{family, address, prefix}]}]
 *   ifIndexToName(index) -> string | null
 *   new LinkWatcher(cb()) .close()   rtnetlink link/address changes: cb() asks for a re-scan
 * Errors are JS Errors with `code` (errno name), `errno` and `syscall`.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define RECV_BUF (65536 + 4)
#define MAX_BATCH 64

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "EADDON", "Node-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

typedef struct {
  int fd;
  int ifindex;
  char ifname[IF_NAMESIZE];
  unsigned char mac[6];
  uv_poll_t *poll;
  napi_env env;
  napi_ref wrapper;
  napi_ref callback;
  napi_async_context async_ctx;
  int polling;
  unsigned char *buf;
} psock_t;

static napi_value make_errno_error(napi_env env, int err, const char *syscall, const char *detail) {
  char msg[256];
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s%s%s failed: %s (%s)", syscall, detail ? " " : "", detail ? detail : "", strerror(err), name);
  napi_value code, message, error, errnum, sc;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", sc);
  return error;
}

static void throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  napi_throw(env, make_errno_error(env, err, syscall, detail));
}

static psock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "EINVAL", "not a PacketSocket");
    return NULL;
  }
  psock_t *ps = data;
  if (ps->fd < 0) {
    napi_throw_error(env, "EBADF", "PacketSocket is closed");
    return NULL;
  }
  return ps;
}

static void on_poll_closed(uv_handle_t *h) {
  int fd = (int)(intptr_t)h->data;
  if (fd >= 0) close(fd);
  free(h);
}

static void stop_polling(psock_t *ps) {
  if (!ps->polling) return;
  ps->polling = 0;
  uv_poll_stop(ps->poll);
  napi_reference_unref(ps->env, ps->wrapper, NULL);
}

static void deliver_error(psock_t *ps, napi_value self, napi_value cb, napi_value err) {
  napi_value argv[2], result;
  argv[0] = err;
  napi_get_undefined(ps->env, &argv[1]);
  if (napi_make_callback(ps->env, ps->async_ctx, self, cb, 2, argv, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(ps->env, &exc);
    napi_fatal_exception(ps->env, exc);
  }
}

static void poll_cb(uv_poll_t *handle, int status, int events);

/* libuv stops a poll handle on POLLERR and reports UV_EBADF; the real reason is in SO_ERROR
 * (ENETDOWN when the interface went down or was deleted). Report it, then resume polling if the
 * interface still exists (the kernel re-attaches the socket when it comes back up); report
 * ENODEV and stay stopped when it is gone. */
static void handle_socket_error(psock_t *ps, napi_value self, napi_value cb) {
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(ps->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
  if (soerr == 0) soerr = ENETDOWN;
  char name[IF_NAMESIZE];
  int gone = if_indextoname((unsigned)ps->ifindex, name) == NULL || strcmp(name, ps->ifname) != 0;
  if (gone) {
    stop_polling(ps);
    deliver_error(ps, self, cb, make_errno_error(ps->env, ENODEV, "recv", ps->ifname));
    return;
  }
  deliver_error(ps, self, cb, make_errno_error(ps->env, soerr, "recv", ps->ifname));
  if (ps->polling && ps->fd >= 0) uv_poll_start(ps->poll, UV_READABLE, poll_cb);
}

static void poll_cb(uv_poll_t *handle, int status, int events) {
  psock_t *ps = handle->data;
  if (ps == NULL || !ps->polling) return;
  napi_env env = ps->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self, cb;
  if (napi_get_reference_value(env, ps->wrapper, &self) != napi_ok || self == NULL ||
      napi_get_reference_value(env, ps->callback, &cb) != napi_ok || cb == NULL) {
    napi_close_handle_scope(env, scope);
    return;
  }
  if (status < 0) {
    handle_socket_error(ps, self, cb);
    napi_close_handle_scope(env, scope);
    return;
  }
  /* One JS call per wake-up with every frame read (up to MAX_BATCH): a call into JS costs more
   * than reading a frame. */
  napi_value batch;
  if (napi_create_array(env, &batch) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return;
  }
  uint32_t count = 0;
  int failed = 0;
  for (int i = 0; i < MAX_BATCH && ps->fd >= 0; i++) {
    struct sockaddr_ll from;
    /* Receive 4 bytes into the buffer so an 802.1Q tag that the kernel moved into the packet
     * metadata (VLAN offload; PACKET_AUXDATA) can be put back in front of the EtherType, giving
     * JS the frame as it was on the wire (as libpcap does). */
    struct iovec iov = {ps->buf + 4, RECV_BUF - 4};
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t got = recvmsg(ps->fd, &msg, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      failed = 1;
      break;
    }
    unsigned char *frame = ps->buf + 4;
    size_t n = (size_t)got;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
      struct tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      if ((aux.tp_status & TP_STATUS_VLAN_VALID) && n >= 12) {
        uint16_t tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
        memmove(ps->buf, ps->buf + 4, 12);
        ps->buf[12] = tpid >> 8;
        ps->buf[13] = tpid & 0xff;
        ps->buf[14] = aux.tp_vlan_tci >> 8;
        ps->buf[15] = aux.tp_vlan_tci & 0xff;
        frame = ps->buf;
        n += 4;
      }
    }
    napi_value buffer;
    void *copy;
    if (napi_create_buffer_copy(env, n, frame, &copy, &buffer) != napi_ok) break;
    napi_set_element(env, batch, count++, buffer);
  }
  if (count > 0) {
    napi_value argv[2], result;
    napi_get_null(env, &argv[0]);
    argv[1] = batch;
    if (napi_make_callback(env, ps->async_ctx, self, cb, 2, argv, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  if (failed && ps->polling && ps->fd >= 0) handle_socket_error(ps, self, cb);
  napi_close_handle_scope(env, scope);
}

static void do_close(psock_t *ps) {
  if (ps->fd < 0) return;
  stop_polling(ps);
  if (ps->callback) {
    napi_delete_reference(ps->env, ps->callback);
    ps->callback = NULL;
  }
  if (ps->async_ctx) {
    napi_async_destroy(ps->env, ps->async_ctx);
    ps->async_ctx = NULL;
  }
  if (ps->poll) {
    /* the fd is closed once libuv is done with the handle */
    ps->poll->data = (void *)(intptr_t)ps->fd;
    uv_close((uv_handle_t *)ps->poll, on_poll_closed);
    ps->poll = NULL;
  } else {
    close(ps->fd);
  }
  ps->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  psock_t *ps = data;
  do_close(ps);
  free(ps->buf);
  free(ps);
}

/* new PacketSocket(ifname: string, protocol: number, filter?: Buffer) */
static napi_value ps_new(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  char ifname[IF_NAMESIZE + 1];
  size_t len = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &len) != napi_ok || len == 0 || len >= IF_NAMESIZE) {
    napi_throw_type_error(env, "EINVAL", "PacketSocket(ifname, protocol[, filter]): ifname must be an interface name");
    return NULL;
  }
  uint32_t proto;
  if (napi_get_value_uint32(env, argv[1], &proto) != napi_ok || proto > 0xffff) {
    napi_throw_type_error(env, "EINVAL", "PacketSocket: protocol must be an EtherType (0-65535)");
    return NULL;
  }
  struct sock_fprog prog = {0, NULL};
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && t != napi_null) {
      bool isbuf = false;
      napi_is_buffer(env, argv[2], &isbuf);
      void *fdata;
      size_t flen;
      if (!isbuf || napi_get_buffer_info(env, argv[2], &fdata, &flen) != napi_ok || flen == 0 ||
          flen % sizeof(struct sock_filter) != 0 || flen / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        napi_throw_type_error(env, "EINVAL", "PacketSocket: filter must be a Buffer of 8-byte sock_filter instructions");
        return NULL;
      }
      prog.len = (unsigned short)(flen / sizeof(struct sock_filter));
      prog.filter = fdata;
    }
  }
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, ENODEV, "if_nametoindex", ifname);
    return NULL;
  }
  /* Protocol 0 until the filter is attached, so nothing unfiltered is queued before bind(). */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_PACKET)", ifname);
    return NULL;
  }
  int one = 1;
  /* our own frames are not echoed back to us (Linux >= 4.20) */
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  /* VLAN tags taken off by the driver come back in a control message */
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "setsockopt(PACKET_AUXDATA)", ifname);
    return NULL;
  }
  if (prog.len > 0 && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "setsockopt(SO_ATTACH_FILTER)", ifname);
    return NULL;
  }
  /* Room for bursts (a request flood, a subnet-wide ARP sweep): 4 MiB, forced past rmem_max
   * when we have CAP_NET_ADMIN, else as much as rmem_max allows. */
  int rcvbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, len); /* len < IF_NAMESIZE, checked above */
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "ioctl(SIOCGIFHWADDR)", ifname);
    return NULL;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)proto);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind(AF_PACKET)", ifname);
    return NULL;
  }
  psock_t *ps = calloc(1, sizeof *ps);
  unsigned char *buf = malloc(RECV_BUF);
  if (!ps || !buf) {
    free(ps);
    free(buf);
    close(fd);
    throw_errno(env, ENOMEM, "malloc", NULL);
    return NULL;
  }
  ps->fd = fd;
  ps->ifindex = (int)ifindex;
  memcpy(ps->ifname, ifname, len + 1);
  memcpy(ps->mac, ifr.ifr_hwaddr.sa_data, 6);
  ps->env = env;
  ps->buf = buf;
  if (napi_wrap(env, self, ps, finalize, NULL, &ps->wrapper) != napi_ok) {
    close(fd);
    free(buf);
    free(ps);
    napi_throw_error(env, "EADDON", "napi_wrap failed");
    return NULL;
  }
  return self;
}

/* start(cb(err, frames)) */
static napi_value ps_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  psock_t *ps = unwrap(env, info, &argc, argv);
  if (!ps) return NULL;
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "start(callback): callback must be a function");
    return NULL;
  }
  if (ps->polling) {
    napi_throw_error(env, "EALREADY", "PacketSocket already started");
    return NULL;
  }
  if (ps->callback) napi_delete_reference(env, ps->callback);
  CHECK(napi_create_reference(env, argv[0], 1, &ps->callback));
  if (!ps->async_ctx) {
    napi_value name;
    CHECK(napi_create_string_utf8(env, "PacketSocket", NAPI_AUTO_LENGTH, &name));
    CHECK(napi_async_init(env, self, name, &ps->async_ctx));
  }
  if (!ps->poll) {
    uv_loop_t *loop;
    CHECK(napi_get_uv_event_loop(env, &loop));
    ps->poll = malloc(sizeof *ps->poll);
    if (!ps->poll) {
      throw_errno(env, ENOMEM, "malloc", NULL);
      return NULL;
    }
    int r = uv_poll_init_socket(loop, ps->poll, ps->fd);
    if (r != 0) {
      free(ps->poll);
      ps->poll = NULL;
      throw_errno(env, -r, "uv_poll_init_socket", ps->ifname);
      return NULL;
    }
    ps->poll->data = ps;
  }
  int r = uv_poll_start(ps->poll, UV_READABLE, poll_cb);
  if (r != 0) {
    throw_errno(env, -r, "uv_poll_start", ps->ifname);
    return NULL;
  }
  ps->polling = 1;
  napi_reference_ref(env, ps->wrapper, NULL);
  return NULL;
}

static napi_value ps_stop(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  psock_t *ps = unwrap(env, info, &argc, NULL);
  if (ps) stop_polling(ps);
  return NULL;
}

static napi_value ps_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  size_t argc = 0;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, &data) == napi_ok && data) do_close(data);
  return NULL;
}

static napi_value ps_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock_t *ps = unwrap(env, info, &argc, argv);
  if (!ps) return NULL;
  void *data;
  size_t len;
  bool isbuf = false;
  if (argc < 1 || napi_is_buffer(env, argv[0], &isbuf) != napi_ok || !isbuf ||
      napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok) {
    bool ista = false;
    napi_is_typedarray(env, argv[0], &ista);
    if (!ista) {
      napi_throw_type_error(env, "EINVAL", "send(frame): frame must be a Buffer or Uint8Array");
      return NULL;
    }
    napi_typedarray_type tt;
    napi_value ab;
    size_t off;
    CHECK(napi_get_typedarray_info(env, argv[0], &tt, &len, &data, &ab, &off));
  }
  if (len < 14) {
    napi_throw_range_error(env, "EINVAL", "send(frame): a frame needs at least an Ethernet header (14 bytes)");
    return NULL;
  }
  ssize_t n = send(ps->fd, data, len, 0);
  if (n < 0) {
    int e = errno;
    if (e == ENXIO || e == ENODEV) {
      char name[IF_NAMESIZE];
      if (if_indextoname((unsigned)ps->ifindex, name) == NULL) e = ENODEV;
    }
    throw_errno(env, e, "send", ps->ifname);
    return NULL;
  }
  napi_value out;
  napi_create_int32(env, (int32_t)n, &out);
  return out;
}

/* sendBatch(frames: Buffer[]) -> number sent. One sendmmsg(2) for the replies to a batch of
 * requests. Throws (with the errno) only when nothing could be sent. */
static napi_value ps_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock_t *ps = unwrap(env, info, &argc, argv);
  if (!ps) return NULL;
  bool isarr = false;
  uint32_t n = 0;
  if (argc < 1 || napi_is_array(env, argv[0], &isarr) != napi_ok || !isarr || napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "sendBatch(frames): frames must be an array of Buffers");
    return NULL;
  }
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iovs[MAX_BATCH];
  uint32_t total = 0;
  while (total < n) {
    uint32_t k = 0;
    for (; k < MAX_BATCH && total + k < n; k++) {
      napi_value item;
      void *data;
      size_t len;
      bool isbuf = false;
      if (napi_get_element(env, argv[0], total + k, &item) != napi_ok || napi_is_buffer(env, item, &isbuf) != napi_ok || !isbuf ||
          napi_get_buffer_info(env, item, &data, &len) != napi_ok || len < 14) {
        napi_throw_type_error(env, "EINVAL", "sendBatch(frames): every frame must be a Buffer of at least 14 bytes");
        return NULL;
      }
      iovs[k].iov_base = data;
      iovs[k].iov_len = len;
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_iov = &iovs[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(ps->fd, msgs, k, 0);
    if (sent <= 0) {
      if (total > 0) break;
      int e = sent < 0 ? errno : EAGAIN;
      if (e == ENXIO || e == ENODEV) {
        char name[IF_NAMESIZE];
        if (if_indextoname((unsigned)ps->ifindex, name) == NULL) e = ENODEV;
      }
      throw_errno(env, e, "sendmmsg", ps->ifname);
      return NULL;
    }
    total += (uint32_t)sent;
    if ((uint32_t)sent < k) break;
  }
  napi_value out;
  napi_create_uint32(env, total, &out);
  return out;
}

static napi_value membership(napi_env env, napi_callback_info info, int add) {
  size_t argc = 1;
  napi_value argv[1];
  psock_t *ps = unwrap(env, info, &argc, argv);
  if (!ps) return NULL;
  void *data;
  size_t len;
  bool isbuf = false;
  if (argc < 1 || napi_is_buffer(env, argv[0], &isbuf) != napi_ok || !isbuf ||
      napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || len != 6) {
    napi_throw_type_error(env, "EINVAL", "membership(mac): mac must be a 6-byte Buffer");
    return NULL;
  }
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ps->ifindex;
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = 6;
  memcpy(mr.mr_address, data, 6);
  if (setsockopt(ps->fd, SOL_PACKET, add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof mr) != 0) {
    throw_errno(env, errno, add ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)", ps->ifname);
  }
  return NULL;
}

static napi_value ps_add_membership(napi_env env, napi_callback_info info) { return membership(env, info, 1); }
static napi_value ps_drop_membership(napi_env env, napi_callback_info info) { return membership(env, info, 0); }

/* stats() -> {packets, drops}: PACKET_STATISTICS since the last call (the kernel resets them). */
static napi_value ps_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  psock_t *ps = unwrap(env, info, &argc, NULL);
  if (!ps) return NULL;
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  if (getsockopt(ps->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) {
    throw_errno(env, errno, "getsockopt(PACKET_STATISTICS)", ps->ifname);
    return NULL;
  }
  napi_value out, p, d;
  CHECK(napi_create_object(env, &out));
  napi_create_uint32(env, st.tp_packets, &p);
  napi_create_uint32(env, st.tp_drops, &d);
  napi_set_named_property(env, out, "packets", p);
  napi_set_named_property(env, out, "drops", d);
  return out;
}

static napi_value ps_get_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  psock_t *ps = unwrap(env, info, &argc, NULL);
  if (!ps) return NULL;
  napi_value v;
  napi_create_int32(env, ps->ifindex, &v);
  return v;
}

static napi_value ps_get_mac(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  psock_t *ps = unwrap(env, info, &argc, NULL);
  if (!ps) return NULL;
  napi_value v;
  void *copy;
  napi_create_buffer_copy(env, 6, ps->mac, &copy, &v);
  return v;
}

static napi_value ps_get_fd(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  psock_t *ps = unwrap(env, info, &argc, NULL);
  if (!ps) return NULL;
  napi_value v;
  napi_create_int32(env, ps->fd, &v);
  return v;
}

static int prefix_len(const struct sockaddr *mask) {
  if (!mask) return -1;
  const unsigned char *b;
  size_t n;
  if (mask->sa_family == AF_INET) {
    b = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    b = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
    n = 16;
  } else {
    return -1;
  }
  int bits = 0;
  for (size_t i = 0; i < n; i++) bits += __builtin_popcount(b[i]);
  return bits;
}

static napi_value find_or_add(napi_env env, napi_value list, const char *name, unsigned flags) {
  uint32_t n;
  napi_get_array_length(env, list, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item, v;
    char buf[IF_NAMESIZE + 1];
    size_t len;
    napi_get_element(env, list, i, &item);
    napi_get_named_property(env, item, "name", &v);
    if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) == napi_ok && strcmp(buf, name) == 0) return item;
  }
  napi_value item, v, addrs;
  napi_create_object(env, &item);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, item, "name", v);
  napi_create_uint32(env, if_nametoindex(name), &v);
  napi_set_named_property(env, item, "index", v);
  napi_create_uint32(env, flags, &v);
  napi_set_named_property(env, item, "flags", v);
  napi_create_array(env, &addrs);
  napi_set_named_property(env, item, "addresses", addrs);
  napi_set_element(env, list, n, item);
  return item;
}

/* listInterfaces() */
static napi_value list_interfaces(napi_env env, napi_callback_info info) {
  struct ifaddrs *ifa0;
  if (getifaddrs(&ifa0) != 0) {
    throw_errno(env, errno, "getifaddrs", NULL);
    return NULL;
  }
  napi_value list;
  if (napi_create_array(env, &list) != napi_ok) {
    freeifaddrs(ifa0);
    return NULL;
  }
  for (struct ifaddrs *ifa = ifa0; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_name) continue;
    napi_value item = find_or_add(env, list, ifa->ifa_name, ifa->ifa_flags);
    if (!ifa->ifa_addr) continue;
    int fam = ifa->ifa_addr->sa_family;
    if (fam == AF_PACKET) {
      const struct sockaddr_ll *ll = (const struct sockaddr_ll *)ifa->ifa_addr;
      napi_value mac, idx;
      void *copy;
      unsigned char zero[6] = {0};
      napi_create_buffer_copy(env, 6, ll->sll_halen == 6 ? ll->sll_addr : zero, &copy, &mac);
      napi_set_named_property(env, item, "mac", mac);
      napi_create_uint32(env, (uint32_t)ll->sll_ifindex, &idx);
      napi_set_named_property(env, item, "index", idx);
    } else if (fam == AF_INET || fam == AF_INET6) {
      napi_value addrs, a, v;
      void *copy;
      uint32_t n;
      napi_get_named_property(env, item, "addresses", &addrs);
      napi_get_array_length(env, addrs, &n);
      napi_create_object(env, &a);
      napi_create_uint32(env, fam == AF_INET ? 4 : 6, &v);
      napi_set_named_property(env, a, "family", v);
      if (fam == AF_INET)
        napi_create_buffer_copy(env, 4, &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr, &copy, &v);
      else
        napi_create_buffer_copy(env, 16, &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, &copy, &v);
      napi_set_named_property(env, a, "address", v);
      napi_create_int32(env, prefix_len(ifa->ifa_netmask), &v);
      napi_set_named_property(env, a, "prefix", v);
      napi_set_element(env, addrs, n, a);
    }
  }
  freeifaddrs(ifa0);
  return list;
}

static napi_value if_index_to_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t idx;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &idx) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "ifIndexToName(index): index must be a number");
    return NULL;
  }
  char name[IF_NAMESIZE];
  if (if_indextoname(idx, name) == NULL) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* ---- LinkWatcher: rtnetlink link/address events -------------------------------------------
 * new LinkWatcher(cb): a NETLINK_ROUTE socket subscribed to link and IPv4/IPv6 address changes,
 * polled on the event loop. The messages are drained without being parsed and cb() is called
 * once per wake-up: the caller re-reads the interfaces (getifaddrs), which is simpler than
 * keeping a netlink view in step and costs one syscall per change. .close() stops it. */
typedef struct {
  int fd;
  uv_poll_t *poll;
  napi_env env;
  napi_ref wrapper;
  napi_ref callback;
  napi_async_context async_ctx;
} lwatch_t;

static void lw_close(lwatch_t *w) {
  if (w->fd < 0) return;
  uv_poll_stop(w->poll);
  w->poll->data = (void *)(intptr_t)w->fd;
  uv_close((uv_handle_t *)w->poll, on_poll_closed);
  w->poll = NULL;
  w->fd = -1;
  if (w->callback) napi_delete_reference(w->env, w->callback);
  w->callback = NULL;
  if (w->async_ctx) napi_async_destroy(w->env, w->async_ctx);
  w->async_ctx = NULL;
  napi_reference_unref(w->env, w->wrapper, NULL);
}

static void lw_poll_cb(uv_poll_t *handle, int status, int events) {
  lwatch_t *w = handle->data;
  if (w == NULL || w->fd < 0) return;
  char buf[8192];
  int changed = status < 0; /* an overrun (ENOBUFS) also means "something changed" */
  for (int i = 0; i < 64; i++) {
    ssize_t n = recv(w->fd, buf, sizeof buf, 0);
    if (n > 0) {
      changed = 1;
      continue;
    }
    if (n < 0 && errno == ENOBUFS) {
      changed = 1;
      continue;
    }
    break;
  }
  if (status < 0 && w->fd >= 0) uv_poll_start(w->poll, UV_READABLE, lw_poll_cb);
  if (!changed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self, cb, result;
  if (napi_get_reference_value(env, w->wrapper, &self) == napi_ok && self &&
      napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb) {
    if (napi_make_callback(env, w->async_ctx, self, cb, 0, NULL, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void lw_finalize(napi_env env, void *data, void *hint) {
  lwatch_t *w = data;
  if (w->fd >= 0) {
    /* not reachable while watching (the wrapper is referenced); closed sockets only */
    close(w->fd);
  }
  free(w);
}

static napi_value lw_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "LinkWatcher(callback): callback must be a function");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_NETLINK)", NULL);
    return NULL;
  }
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind(AF_NETLINK)", NULL);
    return NULL;
  }
  lwatch_t *w = calloc(1, sizeof *w);
  uv_poll_t *poll = malloc(sizeof *poll);
  uv_loop_t *loop;
  if (!w || !poll || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, poll, fd) != 0) {
    free(w);
    free(poll);
    close(fd);
    throw_errno(env, ENOMEM, "LinkWatcher", NULL);
    return NULL;
  }
  w->fd = fd;
  w->poll = poll;
  w->env = env;
  poll->data = w;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "LinkWatcher", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, argv[0], 1, &w->callback));
  CHECK(napi_async_init(env, self, name, &w->async_ctx));
  CHECK(napi_wrap(env, self, w, lw_finalize, NULL, &w->wrapper));
  napi_reference_ref(env, w->wrapper, NULL);
  uv_poll_start(poll, UV_READABLE, lw_poll_cb);
  return self;
}

static napi_value lw_close_js(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  size_t argc = 0;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, &data) == napi_ok && data) lw_close(data);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", NULL, ps_start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, ps_stop, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, ps_close, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, ps_send, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, ps_send_batch, NULL, NULL, NULL, napi_default, NULL},
      {"addMembership", NULL, ps_add_membership, NULL, NULL, NULL, napi_default, NULL},
      {"dropMembership", NULL, ps_drop_membership, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, ps_stats, NULL, NULL, NULL, napi_default, NULL},
      {"ifindex", NULL, NULL, ps_get_ifindex, NULL, NULL, napi_default, NULL},
      {"mac", NULL, NULL, ps_get_mac, NULL, NULL, napi_default, NULL},
      {"fd", NULL, NULL, ps_get_fd, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  CHECK(napi_define_class(env, "PacketSocket", NAPI_AUTO_LENGTH, ps_new, NULL, sizeof props / sizeof props[0], props, &cls));
  CHECK(napi_set_named_property(env, exports, "PacketSocket", cls));
  napi_property_descriptor lw_props[] = {
      {"close", NULL, lw_close_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value lw;
  CHECK(napi_define_class(env, "LinkWatcher", NAPI_AUTO_LENGTH, lw_new, NULL, 1, lw_props, &lw));
  CHECK(napi_set_named_property(env, exports, "LinkWatcher", lw));
  CHECK(napi_create_function(env, "listInterfaces", NAPI_AUTO_LENGTH, list_interfaces, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "listInterfaces", fn));
  CHECK(napi_create_function(env, "ifIndexToName", NAPI_AUTO_LENGTH, if_index_to_name, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "ifIndexToName", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
