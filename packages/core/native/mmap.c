// The whole native part of mmstats: map a file MAP_SHARED and hand it to
// JavaScript as an ArrayBuffer, so that recording a value is a plain store
// into the page cache (no lock, no syscall). Kept tiny on purpose: open and
// size checks, mmap, msync, munmap. Everything else lives in TypeScript.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "N-API call failed");  \
      return NULL;                                         \
    }                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, const char *path, int err) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(err));
  napi_value code, message, error;
  const char *name = err == ENOSPC ? "ENOSPC" : err == EACCES ? "EACCES" : err == ELOOP ? "ELOOP" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_throw(env, error);
  return NULL;
}

// Whether `fd` is a regular file of exactly `length` bytes; throws (and says false) otherwise.
static bool is_file_of_length(napi_env env, int fd, off_t length) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    throw_errno(env, "cannot stat", "mmstats file", errno);
    return false;
  }
  if (!S_ISREG(st.st_mode) || st.st_size != length) {
    throw_errno(env, "unexpected size or type of", "mmstats file", EIO);
    return false;
  }
  return true;
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  size_t length = (size_t)(uintptr_t)hint;
  if (data != NULL && length > 0) munmap(data, length);
}

// map(fd: number, length: number): ArrayBuffer
// The caller opened the file and wrote all `length` bytes of it (so every block is allocated and
// a full disk shows up as a write error there, not as SIGBUS here), then renamed it into place
// (docs/file-format.md#creating-a-file). Mapping the descriptor, not the path, means a symlink planted
// after the rename is never followed.
static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  int64_t length = 0;
  CHECK(env, napi_get_value_int64(env, argv[1], &length));
  if (length <= 0) {
    napi_throw_range_error(env, NULL, "mapping length must be positive");
    return NULL;
  }
  if (!is_file_of_length(env, fd, (off_t)length)) return NULL;
  void *addr = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, "cannot mmap", "mmstats file", errno);
  napi_value buffer;
  napi_status status = napi_create_external_arraybuffer(
      env, addr, (size_t)length, finalize_mapping, (void *)(uintptr_t)length, &buffer);
  if (status != napi_ok) {
    munmap(addr, (size_t)length);
    napi_throw_error(env, NULL, "external ArrayBuffers are not allowed in this runtime");
    return NULL;
  }
  return buffer;
}

// gettid(): the kernel thread id, what mmstats put in sys.tid and in file names.
static napi_value get_tid(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(env, napi_create_int64(env, (int64_t)gettid(), &result));
  return result;
}

static napi_value get_mapping(napi_env env, napi_value value, void **data, size_t *length) {
  bool is_ab = false;
  if (napi_is_arraybuffer(env, value, &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, NULL, "expected an ArrayBuffer returned by map()");
    return NULL;
  }
  if (napi_get_arraybuffer_info(env, value, data, length) != napi_ok) {
    napi_throw_error(env, NULL, "cannot read ArrayBuffer");
    return NULL;
  }
  return value;
}

// sync(buffer): msync(MS_SYNC), the durability mmstats offered on demand.
static napi_value sync_mapping(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  if (get_mapping(env, argv[0], &data, &length) == NULL) return NULL;
  if (data != NULL && length > 0 && msync(data, length, MS_SYNC) != 0)
    return throw_errno(env, "msync failed for", "mapping", errno);
  return NULL;
}

// unmap(buffer): detach, so JavaScript can never touch the pages again (a
// detached buffer has length 0); the finalizer munmaps once V8 drops the
// backing store, which is the only moment no view can reach it any more.
static napi_value unmap_mapping(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  if (get_mapping(env, argv[0], &data, &length) == NULL) return NULL;
  bool detached = false;
  CHECK(env, napi_is_detached_arraybuffer(env, argv[0], &detached));
  if (!detached) CHECK(env, napi_detach_arraybuffer(env, argv[0]));
  return NULL;
}

// remap(buffer, fd): the pages of `buffer` now come from the file `fd`, at the same address, so
// every JavaScript view of the buffer writes to the new file. For a file that was deleted while
// mapped: the caller wrote the mapping's bytes into a new file of the same length, renamed it
// into place, and nothing can write in between (it is one synchronous call on the only thread
// that writes this mapping). MAP_FIXED replaces the old pages in one call; the checks come first,
// since a MAP_FIXED that failed could leave the range unmapped.
static napi_value remap_mapping(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  if (get_mapping(env, argv[0], &data, &length) == NULL) return NULL;
  int32_t fd = -1;
  CHECK(env, napi_get_value_int32(env, argv[1], &fd));
  if (data == NULL || length == 0) {
    napi_throw_range_error(env, NULL, "the mapping was already released");
    return NULL;
  }
  if (!is_file_of_length(env, fd, (off_t)length)) return NULL;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) != O_RDWR)
    return throw_errno(env, "not open for reading and writing:", "mmstats file", EBADF);
  void *addr = mmap(data, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, "cannot mmap", "mmstats file", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"map", NULL, map_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sync", NULL, sync_mapping, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmap", NULL, unmap_mapping, NULL, NULL, NULL, napi_enumerable, NULL},
      {"remap", NULL, remap_mapping, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gettid", NULL, get_tid, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
