{
  "targets": [
    {
      "target_name": "mmstats_mmap",
      "sources": ["native/mmap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
