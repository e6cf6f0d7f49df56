# The Hopper attention kernels (src/cuda/hopper/) as the static library gem_hopper, built whenever nvcc is present
# (CI included): nvcc compiles them for sm_90a only (wgmma, setmaxnreg and TMA need the `a` target) with ptxas'
# resource report, and cmake/NvccPtxasCheck.cmake fails the build on register spills, local memory, a stack frame,
# serialised wgmma, an ignored setmaxnreg, or a kernel body that was compiled out. The static shared-memory plan is
# checked at compile time (layout.h: static_assert ≤ 227 KB). The cuda backend links gem_hopper and dispatches to it
# on compute-capability 9.0 devices (hopper::available).
if(GEM_CUDA_FOUND)
  set(GEM_HOPPER_DIR "${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/hopper")
  set(GEM_HOPPER_OBJ "${CMAKE_CURRENT_BINARY_DIR}/hopper/attention.o")
  add_custom_command(
    OUTPUT "${GEM_HOPPER_OBJ}"
    COMMAND "${CMAKE_COMMAND}" "-DNVCC=${CMAKE_CUDA_COMPILER}" "-DCXX=${CMAKE_CXX_COMPILER}"
            "-DSRC=${GEM_HOPPER_DIR}/attention.cu" "-DOUT=${GEM_HOPPER_OBJ}" "-DKERNELS=prefill_kernel;colsum_kernel"
            -P "${CMAKE_CURRENT_SOURCE_DIR}/cmake/NvccPtxasCheck.cmake"
    DEPENDS "${GEM_HOPPER_DIR}/attention.cu" "${GEM_HOPPER_DIR}/attention.h" "${GEM_HOPPER_DIR}/layout.h"
            "${CMAKE_CURRENT_SOURCE_DIR}/cmake/NvccPtxasCheck.cmake"
    COMMENT "nvcc sm_90a: src/cuda/hopper/attention.cu (ptxas budget check)"
    VERBATIM)
  set_source_files_properties("${GEM_HOPPER_OBJ}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(gem_hopper STATIC "${GEM_HOPPER_OBJ}")
  set_target_properties(gem_hopper PROPERTIES LINKER_LANGUAGE CXX)
  target_include_directories(gem_hopper INTERFACE "${CMAKE_CURRENT_SOURCE_DIR}/src")

  # build/gem-hopper-gpu-test: the kernels against a CPU reference (and --bench) on a compute-capability 9.0 GPU;
  # elsewhere it says "skipped". Linked by nvcc (static CUDA runtime), so it needs nothing from the runner's build.
  set(GEM_HOPPER_GPU_TEST "${CMAKE_CURRENT_SOURCE_DIR}/build/gem-hopper-gpu-test")
  add_custom_command(
    OUTPUT "${GEM_HOPPER_GPU_TEST}"
    COMMAND "${CMAKE_CUDA_COMPILER}" -ccbin "${CMAKE_CXX_COMPILER}" -std=c++17 -O2 -gencode arch=compute_90a,code=sm_90a
            "${CMAKE_CURRENT_SOURCE_DIR}/test/hopper_gpu_test.cu" "${GEM_HOPPER_OBJ}" -o "${GEM_HOPPER_GPU_TEST}"
    DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/test/hopper_gpu_test.cu" "${GEM_HOPPER_DIR}/attention.h" "${GEM_HOPPER_OBJ}"
    COMMENT "nvcc: build/gem-hopper-gpu-test"
    VERBATIM)
  add_custom_target(gem_hopper_gpu_test ALL DEPENDS "${GEM_HOPPER_GPU_TEST}")
endif()
