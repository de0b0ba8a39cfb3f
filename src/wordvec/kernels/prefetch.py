"""``prefetch_row(matrix, i)``: ask the CPU to start loading row ``i`` of a 2-D C-contiguous
array into cache (LLVM's ``llvm.prefetch``), so that a later read does not stall on memory.

The first ``PREFETCH_LINES`` cache lines of the row are requested (512 bytes: d = 128 float32);
the hardware prefetcher follows longer rows. A prefetch never faults, even past the row's end.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LINE = 64  # bytes per cache line
PREFETCH_LINES = 8


@intrinsic
def prefetch_row(typingctx, matrix, row):
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2 and matrix.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer2(
            context, builder, ary.data, cgutils.unpack_tuple(builder, ary.shape),
            cgutils.unpack_tuple(builder, ary.strides), "C", [i, zero],
        )  # fmt: skip
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch"
        )
        base = builder.bitcast(ptr, i8p)
        for line in range(PREFETCH_LINES):
            addr = builder.gep(base, [ir.Constant(ir.IntType(64), line * LINE)])
            builder.call(fn, [addr, i32(1), i32(3), i32(1)])  # for writing, keep, data cache
        return context.get_dummy_value()

    return types.void(matrix, row), codegen
