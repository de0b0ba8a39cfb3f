"""``prefetch_row``: start loading a row of a matrix into the cache before a kernel uses it
(LLVM's ``llvm.prefetch``, for writing; it never faults). The training kernels inline it and pin
this file's sha256 (``PREFETCH_SHA256`` in ``kernels.train``)."""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LINE, PREFETCH_LINES = 64, 8  # bytes a cache line; lines of a row ``prefetch_row`` asks for


# prefetch_row(matrix, i): start loading row i of a C-contiguous matrix (llvm.prefetch; no fault)
@intrinsic
def prefetch_row(typingctx, matrix, row):
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2 and matrix.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer2(
            context,
            builder,
            ary.data,
            cgutils.unpack_tuple(builder, ary.shape),
            cgutils.unpack_tuple(builder, ary.strides),
            "C",
            [i, zero],
        )
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
