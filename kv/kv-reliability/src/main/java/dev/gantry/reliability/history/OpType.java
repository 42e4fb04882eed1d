package dev.gantry.reliability.history;

/** The operations on a register: a linearizable get, a put, a delete, and a compare-and-set transaction. */
public enum OpType { GET, PUT, DELETE, CAS }
