/* Intentionally empty: the worker link_whole()s this library; the real code comes from the system library. */
