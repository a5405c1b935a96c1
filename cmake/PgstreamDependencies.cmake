# Finds every dependency from its Debian 12 package; a missing one stops configure with the
# package to install. pkg-config imported targets are named PkgConfig::PGSTREAM_<NAME>.
include_guard(GLOBAL)
find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: install it with `apt-get install pkg-config`")
endif()

# pgstream_require_pkgconfig(<NAME> <pkg-config module> <Debian package>)
function(pgstream_require_pkgconfig name module debian_pkg)
  if(TARGET PkgConfig::PGSTREAM_${name})
    return()
  endif()
  pkg_check_modules(PGSTREAM_${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT PGSTREAM_${name}_FOUND)
    message(FATAL_ERROR
      "pgstream needs ${module} (pkg-config module '${module}' not found): "
      "install it with `apt-get install ${debian_pkg}`")
  endif()
endfunction()

# pgstream_require_cmake_package(<Package> <Debian package>)
macro(pgstream_require_cmake_package package debian_pkg)
  find_package(${package} QUIET CONFIG)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "pgstream needs ${package} (CMake package not found): "
      "install it with `apt-get install ${debian_pkg}`")
  endif()
endmacro()
