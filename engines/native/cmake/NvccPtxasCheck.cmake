# cmake -DNVCC=… -DCXX=… -DSRC=file.cu -DOUT=file.o -DKERNELS="a;b" -P NvccPtxasCheck.cmake
# Compiles SRC for sm_90a with ptxas' resource report and fails on anything that says a kernel does not fit:
# spill stores/loads, a stack frame (local memory), wgmma serialised by ptxas, setmaxnreg ignored (C7508), or a
# listed kernel missing from the report or using so few registers that its body was compiled out. The report is
# kept beside the object (OUT.ptxas.txt).
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
execute_process(
  COMMAND "${NVCC}" -ccbin "${CXX}" -std=c++17 -O3 -Xcompiler -fPIC
          -gencode arch=compute_90a,code=sm_90a -Xptxas -v,-warn-spills,-warn-lmem-usage
          -c "${SRC}" -o "${OUT}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "${out}${err}")
file(WRITE "${OUT}.ptxas.txt" "${report}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed on ${SRC}:\n${report}")
endif()
set(problems "")
string(REGEX MATCHALL "[0-9]+ bytes stack frame, [0-9]+ bytes spill stores, [0-9]+ bytes spill loads" frames "${report}")
foreach(f IN LISTS frames)
  if(NOT f MATCHES "^0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads$")
    string(APPEND problems "  ${f}\n")
  endif()
endforeach()
if(report MATCHES "Potential Performance Loss")
  string(APPEND problems "  ptxas serialised wgmma (Potential Performance Loss)\n")
endif()
if(report MATCHES "C7508")
  string(APPEND problems "  setmaxnreg ignored (C7508)\n")
endif()
if(report MATCHES "[Ww]arning")
  string(APPEND problems "  warnings in the report\n")
endif()
foreach(k IN LISTS KERNELS)
  string(REGEX MATCH "Compiling entry function '[^']*${k}[^']*' for 'sm_90a'\n[^\n]*\n[^\n]*\nptxas info[ ]+: Used ([0-9]+) registers" m "${report}")
  if(NOT m)
    string(APPEND problems "  ${k}: not in the ptxas report\n")
  elseif(CMAKE_MATCH_1 LESS 64)
    string(APPEND problems "  ${k}: ${CMAKE_MATCH_1} registers — was its sm_90a body compiled out?\n")
  endif()
endforeach()
if(problems)
  file(REMOVE "${OUT}")
  message(FATAL_ERROR "ptxas budget check failed for ${SRC}:\n${problems}Full report:\n${report}")
endif()
