# Run at build time (cmake -P): writes OUT (a header defining GEM_BUILD_ID) from `git rev-parse`, with "-dirty" when
# the native sources (SRC_DIR) have uncommitted changes — a record then does not claim a commit it was not built from —
# touching the file only when the id changed so that nothing recompiles needlessly.
set(id "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short HEAD
                  WORKING_DIRECTORY "${SRC_DIR}" OUTPUT_VARIABLE rev RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND NOT rev STREQUAL "")
    set(id "${rev}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no -- .
                    WORKING_DIRECTORY "${SRC_DIR}" OUTPUT_VARIABLE changed RESULT_VARIABLE rc2
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc2 EQUAL 0 AND NOT changed STREQUAL "")
      set(id "${rev}-dirty")
    endif()
  endif()
endif()
set(content "#pragma once\n#define GEM_BUILD_ID \"${id}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
