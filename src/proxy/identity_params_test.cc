#include "proxy/identity_params.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("identity parameters: found in any case, after decoding") {
  CHECK(!FindIdentityParameter("dataId=a&group=b"));
  CHECK(!FindIdentityParameter(""));
  CHECK(!FindIdentityParameter("usernames=x&content=accessToken%3Dx"));
  CHECK(FindIdentityParameter("dataId=a&accessToken=x") == "accessToken");
  CHECK(FindIdentityParameter("ACCESSTOKEN") == "ACCESSTOKEN");
  CHECK(FindIdentityParameter("%61ccessToken=1") == "accessToken");
  CHECK(FindIdentityParameter("a=1&Username=u") == "Username");
  CHECK(FindIdentityParameter("password=") == "password");
  CHECK(FindIdentityParameter("x&authorization=Bearer+t") == "authorization");
}
