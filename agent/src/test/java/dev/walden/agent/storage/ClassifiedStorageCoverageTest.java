package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * ClassifiedStorage forwards what it does not override, so a call of the contract it forgets would reach the agent
 * unclassified (a walk's unchecked exception as an internal error): every call that reaches the store is its own.
 */
class ClassifiedStorageCoverageTest {
    @Test
    void everyCallThatReachesTheStoreIsClassified() {
        // copies() names the stores a reader tries in turn; a single store, this one, reaches nothing by it.
        Set<String> forwardedAsTheyAre = Set.of("describe", "close", "copies");
        for (Method method : Storage.class.getMethods()) {
            if (forwardedAsTheyAre.contains(method.getName()) || java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            try {
                ClassifiedStorage.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
            } catch (NoSuchMethodException e) {
                fail("ClassifiedStorage does not classify " + method.getName());
            }
        }
    }
}
