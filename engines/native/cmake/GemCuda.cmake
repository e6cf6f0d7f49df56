# The CUDA backend (src/cuda/*.cu), included by CMakeLists.txt when a CUDA compiler is found. The Hopper kernels
# (src/cuda/hopper/) are built by cmake/Hopper.cmake (gem_hopper, sm_90a only) and linked here.
#
# gemcuda: src/cuda/*.cu with CUDA_ARCHITECTURES "80-virtual;90a-real": sm_90a machine code (H100/H200) + compute_80
# PTX that the driver compiles for any other GPU from Ampere on (mma.sync needs sm_80). Never -arch=sm_90a, which
# would also run a plain compute_90 pass.
# ptxas runs once per file (for sm_90a) with -v,-warn-spills,-warn-lmem-usage under cmake/ptxas-guard.sh, which
# fails the build on register spills or on more than 227 KB of static shared memory per kernel and writes the report
# beside each object (<object>.ptxas.txt). Dynamic shared memory is checked by static_asserts in the kernels.
set(GEM_CUDA_FLAGS -O3 --expt-relaxed-constexpr -Xptxas=-v,-warn-spills,-warn-lmem-usage)

file(GLOB GEM_CUDA_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu")

function(gem_cuda_objects name archs)
  add_library(${name} OBJECT ${ARGN})
  set_target_properties(${name} PROPERTIES
    CUDA_ARCHITECTURES "${archs}"
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    CUDA_COMPILER_LAUNCHER "${CMAKE_CURRENT_SOURCE_DIR}/cmake/ptxas-guard.sh"
    POSITION_INDEPENDENT_CODE OFF)
  target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_compile_definitions(${name} PRIVATE GEM_CUDA_FOUND=1)
  target_compile_options(${name} PRIVATE ${GEM_CUDA_FLAGS})
  target_link_libraries(${name} PRIVATE CUDA::cudart_static)
  target_sources(gemcore PRIVATE $<TARGET_OBJECTS:${name}>)
endfunction()

if(GEM_CUDA_SOURCES)
  gem_cuda_objects(gemcuda "80-virtual;90a-real" ${GEM_CUDA_SOURCES})
endif()
# Only the CUDA runtime is linked (statically); cuBLASLt and libcuda entry points are resolved at run time.
target_link_libraries(gemcore PUBLIC gem_hopper CUDA::cudart_static)
target_compile_definitions(gemcore PUBLIC GEM_CUDA=1)
# gemcore itself compiles no CUDA sources (it only carries the objects above).
set_target_properties(gemcore PROPERTIES CUDA_ARCHITECTURES OFF)
