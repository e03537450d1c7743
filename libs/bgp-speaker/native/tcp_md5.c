/*
 * tcp_md5: a tiny Node-API addon for what node:net cannot do on a TCP socket before connect():
 * RFC 2385 TCP MD5 signatures (Linux TCP_MD5SIG) and the IP TTL / IPv6 hop limit.
 *
 *   createTcpSocket(family 4|6, localAddress|null, localPort, ttl (0 = OS default)) -> fd
 *   setTcpMd5(fd, peerAddress, key)   key "" removes the key for that peer
 *   setTtl(fd, family, ttl)
 *
 * Node wraps the returned fd with `new net.Socket({ fd })` and connects it, so the SYN is
 * already signed. For listeners, setTcpMd5 on the listening fd: accepted sockets inherit it.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, "ERR_TCP_MD5", msg);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t len, size_t *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_string) return -1;
  return napi_get_value_string_utf8(env, v, buf, len, out) == napi_ok ? 0 : -1;
}

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *sl) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *sl = sizeof *a4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *sl = sizeof *a6;
    return AF_INET6;
  }
  return -1;
}

static int set_ttl(int fd, int family, int ttl) {
  if (family == AF_INET6) return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
  return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
}

static napi_value create_tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "createTcpSocket(family, localAddress, localPort, ttl)");
    return NULL;
  }
  int32_t fam = 0, port = 0, ttl = 0;
  napi_get_value_int32(env, argv[0], &fam);
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_int32(env, argv[3], &ttl);
  int family = fam == 6 ? AF_INET6 : AF_INET;
  char local[64];
  size_t n = 0;
  int has_local = get_string(env, argv[1], local, sizeof local, &n) == 0 && n > 0;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket");
  if (has_local || port > 0) {
    struct sockaddr_storage ss;
    socklen_t sl;
    if (!has_local) strcpy(local, family == AF_INET6 ? "::" : "0.0.0.0");
    if (parse_addr(local, port, &ss, &sl) != family) {
      close(fd);
      napi_throw_type_error(env, NULL, "localAddress is not an address of the requested family");
      return NULL;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
      int e = errno;
      close(fd);
      errno = e;
      return throw_errno(env, "bind");
    }
  }
  if (ttl > 0 && set_ttl(fd, family, ttl) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return throw_errno(env, "setsockopt(TTL)");
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value set_tcp_md5(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "setTcpMd5(fd, peerAddress, key)");
    return NULL;
  }
  int32_t fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  char peer[64];
  char key[TCP_MD5SIG_MAXKEYLEN + 1];
  size_t n = 0, klen = 0;
  if (get_string(env, argv[1], peer, sizeof peer, &n) != 0 || get_string(env, argv[2], key, sizeof key, &klen) != 0) {
    napi_throw_type_error(env, NULL, "peerAddress and key must be strings");
    return NULL;
  }
  if (klen > TCP_MD5SIG_MAXKEYLEN) {
    napi_throw_range_error(env, NULL, "TCP MD5 keys are at most 80 bytes");
    return NULL;
  }
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  socklen_t sl;
  if (parse_addr(peer, 0, &sig.tcpm_addr, &sl) < 0) {
    napi_throw_type_error(env, NULL, "peerAddress is not an IP address");
    return NULL;
  }
  sig.tcpm_keylen = (uint16_t)klen;
  memcpy(sig.tcpm_key, key, klen);
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) != 0) return throw_errno(env, "setsockopt(TCP_MD5SIG)");
  return NULL;
}

static napi_value set_ttl_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, fam = 4, ttl = 64;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &fam);
  napi_get_value_int32(env, argv[2], &ttl);
  if (set_ttl(fd, fam == 6 ? AF_INET6 : AF_INET, ttl) != 0) return throw_errno(env, "setsockopt(TTL)");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"createTcpSocket", NULL, create_tcp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setTcpMd5", NULL, set_tcp_md5, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setTtl", NULL, set_ttl_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
