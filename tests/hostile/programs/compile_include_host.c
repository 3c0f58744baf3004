// Reads host files at compile time: the compiler runs in the slot too, and #include
// pastes any readable file into the error messages, which come back to the client.
// Attacks: file system isolation of the compile step (a compiler running on the host, or
// with the server's privileges, would print the host's password hashes here).
// Sandbox should: run the compiler in the slot, where the file does not exist: a
// compile_error naming the missing file, and no program run.
// expect: status=compile_error
// expect: stderr-contains=/etc/shadow: No such file or directory
// expect: exit_code=null
// expect: error=compile error
#include "/etc/shadow"

int main(void) {
  return 0;
}
