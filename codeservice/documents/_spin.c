/* The ECMA-376 agile-encryption password hash (MS-OFFCRYPTO 2.3.4.11) in C:
 *   H0 = SHA512(salt + password), Hn = SHA512(LE32(n - 1) + Hn-1), for n = 1..spins.
 * codeservice/documents/spin.py falls back to pure Python when this is not built. */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA512_Init etc.: the fastest path for tiny inputs */
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

static PyObject *iterated_sha512(PyObject *self, PyObject *args)
{
    Py_buffer seed;
    unsigned long spins;
    unsigned char block[4 + SHA512_DIGEST_LENGTH];
    unsigned char *hash = block + 4;
    SHA512_CTX ctx;

    if (!PyArg_ParseTuple(args, "y*k", &seed, &spins))
        return NULL;
    if (spins > 0xFFFFFFFFUL) {
        PyBuffer_Release(&seed);
        PyErr_SetString(PyExc_ValueError, "spin count must fit in 32 bits");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    SHA512_Init(&ctx);
    SHA512_Update(&ctx, seed.buf, (size_t)seed.len);
    SHA512_Final(hash, &ctx);
    for (unsigned long i = 0; i < spins; i++) {
        block[0] = (unsigned char)i;
        block[1] = (unsigned char)(i >> 8);
        block[2] = (unsigned char)(i >> 16);
        block[3] = (unsigned char)(i >> 24);
        SHA512_Init(&ctx);
        SHA512_Update(&ctx, block, sizeof block);
        SHA512_Final(hash, &ctx);
    }
    OPENSSL_cleanse(&ctx, sizeof ctx);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&seed);
    PyObject *result = PyBytes_FromStringAndSize((const char *)hash, SHA512_DIGEST_LENGTH);
    OPENSSL_cleanse(block, sizeof block);
    return result;
}

static PyMethodDef methods[] = {
    {"iterated_sha512", iterated_sha512, METH_VARARGS,
     "iterated_sha512(salt_and_password, spins) -> the 64-byte hash after `spins` rounds"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spin", "ECMA-376 agile-encryption key derivation, native.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__spin(void) { return PyModule_Create(&module); }
