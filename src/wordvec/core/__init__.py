"""The training core: the schedule, replica plans, objectives, the Huffman tree, the memory
estimate, the report, and the executors (threads, CUDA, Ray) behind one interface with the
factory that picks one."""
